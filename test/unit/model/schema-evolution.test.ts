import * as z from "zod";
import { jsonSchemaOf } from "../../../platform/model/json-schema";
import { ChangeKind, changeText, compareSchemas } from "../../../platform/model/schema-evolution";

const Verdict = { Breaking: "breaking", Safe: "safe" } as const;
type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What the gate compares: the input side, what a reader's parse accepts. */
const accepted = (schema: z.ZodType) => jsonSchemaOf(schema, { io: "input" });

const line = z.object({ sku: z.string(), quantity: z.number().int() });

// [what changes, the released schema, the new one, the verdict, every change as the gate names it]
const TABLE: readonly [string, z.ZodType, z.ZodType, Verdict, readonly string[]][] = [
  ["nothing", z.object({ id: z.string() }), z.object({ id: z.string() }), Verdict.Safe, []],
  ["a field removed", z.object({ id: z.string(), total: z.number() }), z.object({ id: z.string() }), Verdict.Breaking, ["data.total: field removed"]],
  [
    "a field renamed",
    z.object({ id: z.string(), total: z.number() }),
    z.object({ id: z.string(), amount: z.number() }),
    Verdict.Breaking,
    ["data.total: field removed (renamed to `amount`?)", "data.amount: new required field"],
  ],
  ["an optional field removed", z.object({ id: z.string(), note: z.string().optional() }), z.object({ id: z.string() }), Verdict.Breaking, ["data.note: field removed"]],
  ["a required field added", z.object({ id: z.string() }), z.object({ id: z.string(), currency: z.string() }), Verdict.Breaking, ["data.currency: new required field"]],
  ["an optional field added", z.object({ id: z.string() }), z.object({ id: z.string(), note: z.string().optional() }), Verdict.Safe, ["data.note: new optional field"]],
  ["optional made required", z.object({ note: z.string().optional() }), z.object({ note: z.string() }), Verdict.Breaking, ["data.note: optional field made required"]],
  ["required made optional", z.object({ note: z.string() }), z.object({ note: z.string().optional() }), Verdict.Safe, ["data.note: required field made optional"]],
  ["a type changed", z.object({ total: z.string() }), z.object({ total: z.number() }), Verdict.Breaking, ["data.total: type changed from string to number"]],
  ["number narrowed to integer", z.object({ total: z.number() }), z.object({ total: z.number().int() }), Verdict.Breaking, ["data.total: type narrowed from number to integer"]],
  ["integer widened to number", z.object({ total: z.number().int() }), z.object({ total: z.number() }), Verdict.Safe, ["data.total: type widened from integer to number"]],
  ["null no longer accepted", z.object({ note: z.string().nullable() }), z.object({ note: z.string() }), Verdict.Breaking, ["data.note: no longer accepts null"]],
  ["null now accepted", z.object({ note: z.string() }), z.object({ note: z.string().nullable() }), Verdict.Safe, ["data.note: now also accepts null"]],
  [
    "an enum value removed",
    z.object({ speed: z.enum(["standard", "express"]) }),
    z.object({ speed: z.enum(["standard"]) }),
    Verdict.Breaking,
    ['data.speed: enum value "express" removed'],
  ],
  ["an enum value added", z.object({ speed: z.enum(["standard"]) }), z.object({ speed: z.enum(["standard", "express"]) }), Verdict.Safe, ['data.speed: enum value "express" added']],
  // The gate compares what a reader's parse accepts (the input side), not what it returns.
  ["a field with a default added", z.object({ id: z.string() }), z.object({ id: z.string(), currency: z.string().default("EUR") }), Verdict.Safe, ["data.currency: new optional field"]],
  ["an optional field given a default", z.object({ note: z.string().optional() }), z.object({ note: z.string().default("none") }), Verdict.Safe, ["data.note: default changed"]],
  [
    "a number now parsed from a string (a pipe)",
    z.object({ n: z.number() }),
    z.object({ n: z.string().pipe(z.coerce.number()) }),
    Verdict.Breaking,
    ["data.n: changed from number to string piped into another schema, which JSON Schema cannot describe: could not prove the change safe"],
  ],
  [
    "a constraint before a pipe",
    z.object({ s: z.string() }),
    z.object({ s: z.string().min(5).pipe(z.string()) }),
    Verdict.Breaking,
    ["data.s: changed from string to string piped into another schema, which JSON Schema cannot describe: could not prove the change safe"],
  ],
  [
    "a constraint after a pipe",
    z.object({ s: z.string().pipe(z.string().min(1)) }),
    z.object({ s: z.string().pipe(z.string().min(5)) }),
    Verdict.Breaking,
    ["data.s: string piped into another schema: the schema it is piped into changed, which JSON Schema cannot describe: could not prove the change safe"],
  ],
  ["a transform added (what a parse accepts is the same)", z.object({ s: z.string() }), z.object({ s: z.string().transform((s) => s.trim()) }), Verdict.Safe, []],
  [
    "a value preprocessed (a function JSON Schema cannot show)",
    z.object({ s: z.string() }),
    z.object({ s: z.preprocess((v) => String(v), z.string()) }),
    Verdict.Breaking,
    ["data.s: changed from string to string piped into another schema, which JSON Schema cannot describe: could not prove the change safe"],
  ],
  ["a constant changed", z.object({ kind: z.literal("card") }), z.object({ kind: z.literal("cash") }), Verdict.Breaking, ['data.kind: constant changed from "card" to "cash"']],
  ["minLength tightened", z.object({ id: z.string().min(1) }), z.object({ id: z.string().min(3) }), Verdict.Breaking, ["data.id: minLength tightened from 1 to 3"]],
  ["maxLength tightened", z.object({ id: z.string().max(20) }), z.object({ id: z.string().max(10) }), Verdict.Breaking, ["data.id: maxLength tightened from 20 to 10"]],
  ["maxLength loosened", z.object({ id: z.string().max(10) }), z.object({ id: z.string().max(20) }), Verdict.Safe, ["data.id: maxLength loosened from 10 to 20"]],
  ["minLength removed", z.object({ id: z.string().min(1) }), z.object({ id: z.string() }), Verdict.Safe, ["data.id: minLength 1 removed"]],
  ["a minimum added", z.object({ total: z.number() }), z.object({ total: z.number().min(0) }), Verdict.Breaking, ["data.total: lower bound >= 0 added"]],
  ["a minimum tightened", z.object({ total: z.number().nonnegative() }), z.object({ total: z.number().positive() }), Verdict.Breaking, ["data.total: lower bound tightened from >= 0 to > 0"]],
  ["a minimum loosened", z.object({ total: z.number().positive() }), z.object({ total: z.number().nonnegative() }), Verdict.Safe, ["data.total: lower bound loosened from > 0 to >= 0"]],
  ["a maximum tightened", z.object({ total: z.number().max(100) }), z.object({ total: z.number().max(50) }), Verdict.Breaking, ["data.total: upper bound tightened from <= 100 to <= 50"]],
  ["a maximum removed", z.object({ total: z.number().lt(100) }), z.object({ total: z.number() }), Verdict.Safe, ["data.total: upper bound < 100 removed"]],
  ["multipleOf tightened", z.object({ total: z.number().multipleOf(2) }), z.object({ total: z.number().multipleOf(4) }), Verdict.Breaking, ["data.total: multipleOf tightened from 2 to 4"]],
  ["multipleOf loosened to a decimal divisor", z.object({ total: z.number().multipleOf(0.1) }), z.object({ total: z.number().multipleOf(0.01) }), Verdict.Safe, ["data.total: multipleOf loosened from 0.1 to 0.01"]],
  ["multipleOf tightened to a decimal multiple", z.object({ total: z.number().multipleOf(0.01) }), z.object({ total: z.number().multipleOf(0.1) }), Verdict.Breaking, ["data.total: multipleOf tightened from 0.01 to 0.1"]],
  ["a pattern added", z.object({ sku: z.string() }), z.object({ sku: z.string().regex(/^[A-Z]+$/) }), Verdict.Breaking, ["data.sku: pattern `^[A-Z]+$` added"]],
  ["a pattern changed", z.object({ sku: z.string().regex(/^[A-Z]+$/) }), z.object({ sku: z.string().regex(/^[A-Z]{3}$/) }), Verdict.Breaking, ["data.sku: pattern changed from `^[A-Z]+$` to `^[A-Z]{3}$`"]],
  ["a pattern removed", z.object({ sku: z.string().regex(/^[A-Z]+$/) }), z.object({ sku: z.string() }), Verdict.Safe, ["data.sku: pattern `^[A-Z]+$` removed"]],
  ["a format added", z.object({ id: z.string() }), z.object({ id: z.string().uuid() }), Verdict.Breaking, ["data.id: pattern `" + String(accepted(z.string().uuid()).pattern) + "` added", "data.id: format uuid added"]],
  ["an array's item type changed", z.object({ tags: z.array(z.string()) }), z.object({ tags: z.array(z.number()) }), Verdict.Breaking, ["data.tags[]: type changed from string to number"]],
  ["a nested field removed", z.object({ lines: z.array(line) }), z.object({ lines: z.array(line.omit({ quantity: true })) }), Verdict.Breaking, ["data.lines[].quantity: field removed"]],
  ["minItems tightened", z.object({ lines: z.array(line) }), z.object({ lines: z.array(line).min(1) }), Verdict.Breaking, ["data.lines: minItems 1 added"]],
  ["a union option removed", z.object({ ref: z.union([z.string(), z.number()]) }), z.object({ ref: z.string() }), Verdict.Breaking, ["data.ref: no longer accepts number"]],
  ["a nullable string widened to any value", z.object({ note: z.string().nullable() }), z.object({ note: z.unknown() }), Verdict.Safe, ["data.note: type widened from string | null to any value"]],
  ["any value narrowed to a nullable string", z.object({ note: z.unknown() }), z.object({ note: z.string().nullable() }), Verdict.Breaking, ["data.note: type narrowed from any value to string | null"]],
  ["a tuple gains a required element", z.object({ at: z.tuple([z.number(), z.number()]) }), z.object({ at: z.tuple([z.number(), z.number(), z.number()]) }), Verdict.Breaking, ["data.at[2]: new required element"]],
  ["a tuple gains an optional element", z.object({ at: z.tuple([z.number(), z.number()]) }), z.object({ at: z.tuple([z.number(), z.number(), z.number().optional()]) }), Verdict.Safe, ["data.at[2]: new optional element"]],
  ["a tuple loses an element", z.object({ at: z.tuple([z.number(), z.number()]) }), z.object({ at: z.tuple([z.number()]) }), Verdict.Breaking, ["data.at[1]: element removed"]],
  ["a tuple's optional element made required", z.object({ at: z.tuple([z.number(), z.number().optional()]) }), z.object({ at: z.tuple([z.number(), z.number()]) }), Verdict.Breaking, ["data.at[1]: optional element made required"]],
  [
    "a list turned into a tuple",
    z.object({ at: z.array(z.number()) }),
    z.object({ at: z.tuple([z.number()]) }),
    Verdict.Breaking,
    ["data.at: minItems 1 added", "data.at: maxItems 1 added", "data.at: `items` changed from a list to a tuple, which the gate cannot compare: could not prove the change safe", "data.at: `additionalItems` changed, which the gate cannot compare: could not prove the change safe"],
  ],
  ["a union option added", z.object({ ref: z.string() }), z.object({ ref: z.union([z.string(), z.number()]) }), Verdict.Safe, ["data.ref: now also accepts number"]],
  [
    "a discriminated option's field removed",
    z.object({ pay: z.discriminatedUnion("kind", [z.object({ kind: z.literal("card"), last4: z.string() }), z.object({ kind: z.literal("cash") })]) }),
    z.object({ pay: z.discriminatedUnion("kind", [z.object({ kind: z.literal("card") }), z.object({ kind: z.literal("cash") })]) }),
    Verdict.Breaking,
    ["data.pay.last4: field removed"],
  ],
  ["extra keys no longer allowed", z.object({ id: z.string() }), z.object({ id: z.string() }).strict(), Verdict.Breaking, ["data: additional properties no longer allowed"]],
  // A parse strips unknown keys, so it accepts them: no longer keeping them breaks no reader.
  ["extra keys no longer kept", z.object({ id: z.string() }).passthrough(), z.object({ id: z.string() }), Verdict.Safe, []],
  ["a record's value type narrowed", z.object({ totals: z.record(z.string(), z.number()) }), z.object({ totals: z.record(z.string(), z.number().int()) }), Verdict.Breaking, ["data.totals.*: type narrowed from number to integer"]],
  ["a description changed", z.object({ id: z.string().describe("The order") }), z.object({ id: z.string().describe("The order's id") }), Verdict.Safe, ["data.id: description changed"]],
  [
    "a value JSON Schema cannot describe",
    z.object({ at: z.date() }),
    z.object({ at: z.bigint() }),
    Verdict.Breaking,
    ["data.at: changed from date to bigint, which JSON Schema cannot describe: could not prove the change safe"],
  ],
  [
    "a construct the gate does not compare",
    z.object({ id: z.string().regex(/a/).regex(/b/) }),
    z.object({ id: z.string().regex(/a/).regex(/c/) }),
    Verdict.Breaking,
    ["data.id: `allOf` changed, which the gate cannot compare: could not prove the change safe"],
  ],
];

describe("compareSchemas: what can break a reader", () => {
  it.each(TABLE)("%s", (_what, before, after, verdict, expected) => {
    // Prepare
    const released = accepted(before);
    const current = accepted(after);

    // Act
    const changes = compareSchemas(released, current);

    // Assess
    expect(changes.map(changeText)).toEqual(expected);
    expect(changes.some((change) => change.breaking) ? Verdict.Breaking : Verdict.Safe).toBe(verdict);
  });

  it("covers every kind of change the gate knows (but an event's removal, which the gate itself finds)", () => {
    // Prepare
    const kinds = new Set(TABLE.flatMap(([, before, after]) => compareSchemas(accepted(before), accepted(after)).map((change) => change.kind)));

    // Act
    const missing = Object.values(ChangeKind).filter((kind) => !kinds.has(kind));

    // Assess
    expect(missing).toEqual([ChangeKind.EventRemoved]);
  });

  it("compares a schema regardless of the order of its keys, as the lock file sorts them", () => {
    // Prepare
    const released = { type: "object", properties: { id: { type: "string", minLength: 1 } }, required: ["id"] };
    const current = { required: ["id"], properties: { id: { minLength: 1, type: "string" } }, type: "object" };

    // Act
    const changes = compareSchemas(released, current);

    // Assess
    expect(changes).toEqual([]);
  });
});
