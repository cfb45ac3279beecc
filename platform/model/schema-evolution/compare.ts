import { type JsonSchema, PIPE_KEYWORD, UNREPRESENTABLE_KEYWORD } from "../json-schema";
import { ChangeKind, type SchemaChange, schemaChange } from "./changes";

/**
 * Every change from the old JSON Schema of an event's data to the new one (both as
 * `jsonSchemaOf(schema, { io: "input" })` writes them: what a reader's parse accepts), judged
 * from the reader's side (see `ChangeKind`). A keyword this comparator does not know, when it
 * differs, is a breaking `Unknown`: it never takes a change it cannot judge for safe.
 */
export function compareSchemas(before: JsonSchema, after: JsonSchema, root = "data"): SchemaChange[] {
  const changes: SchemaChange[] = [];
  compareNode(before, after, root, changes);
  return changes;
}

type Node = JsonSchema;

/** Keywords that describe and never reject a value. */
const ANNOTATIONS = ["title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"] as const;

/** Keywords that apply to one JSON type only; a `type: [a, b]` node is split with them. */
const TYPE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  string: ["minLength", "maxLength", "pattern", "format"],
  number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
  array: ["items", "minItems", "maxItems", "uniqueItems"],
  object: ["properties", "required", "additionalProperties", "minProperties", "maxProperties"],
};

/** What `compareSingle` understands; any other keyword that differs is `Unknown`. */
const UNDERSTOOD = new Set<string>(["type", "enum", "const", UNREPRESENTABLE_KEYWORD, ...ANNOTATIONS, ...Object.values(TYPE_KEYWORDS).flat()]);

/** The bounds zod writes for every `.int()`: the safe-integer range, no constraint of the author's. */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function compareNode(before: Node, after: Node, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  const beforeOptions = optionsOf(before);
  const afterOptions = optionsOf(after);
  if (beforeOptions.length === 1 && afterOptions.length === 1) return compareSingle(before, after, path, out);
  // A union's options against any value (`{}`), which the options cannot be matched with one by one.
  if (acceptsAnything(after) || acceptsAnything(before)) {
    compareAnnotations(before, after, path, out);
    const options = acceptsAnything(after) ? beforeOptions : afterOptions;
    const text = options.map(label).join(" | ");
    if (acceptsAnything(after)) out.push(schemaChange(path, ChangeKind.TypeWidened, `type widened from ${text} to any value`));
    else out.push(schemaChange(path, ChangeKind.TypeNarrowed, `type narrowed from any value to ${text}`));
    return;
  }
  compareAnnotations(before, after, path, out);
  compareUnion(beforeOptions, afterOptions, path, out);
}

/** The values a node accepts, as options: a union's members, or one per type of `type: [a, b]`. */
function optionsOf(node: Node): Node[] {
  const bare = withoutAnnotations(node);
  const keys = Object.keys(bare);
  const members = bare.anyOf ?? bare.oneOf;
  if (keys.length === 1 && Array.isArray(members)) return (members as Node[]).flatMap(optionsOf);
  if (Array.isArray(bare.type) && bare.type.length > 1) {
    const types = bare.type as string[];
    return types.map((type) => {
      const foreign = new Set(types.filter((t) => t !== type).flatMap((t) => TYPE_KEYWORDS[t] ?? []).filter((k) => !(TYPE_KEYWORDS[type] ?? []).includes(k)));
      return { ...Object.fromEntries(Object.entries(bare).filter(([key]) => !foreign.has(key))), type };
    });
  }
  return [node];
}

function compareUnion(before: Node[], after: Node[], path: string, out: SchemaChange[]): void {
  const unmatched = [...after];
  for (const option of before) {
    const match = matchOf(option, unmatched);
    if (!match) {
      out.push(schemaChange(path, ChangeKind.TypeNarrowed, `no longer accepts ${label(option)}`));
      continue;
    }
    unmatched.splice(unmatched.indexOf(match), 1);
    compareSingle(option, match, path, out);
  }
  for (const option of unmatched) out.push(schemaChange(path, ChangeKind.TypeWidened, `now also accepts ${label(option)}`));
}

/** The new option that takes an old one's place: the same, else of the same type (told apart by a constant). */
function matchOf(option: Node, candidates: readonly Node[]): Node | undefined {
  const identical = candidates.find((candidate) => same(candidate, option));
  if (identical) return identical;
  const type = typeOf(option);
  let sameType = candidates.filter((candidate) => typeOf(candidate) === type);
  if (sameType.length === 0 && type === "integer") sameType = candidates.filter((candidate) => typeOf(candidate) === "number");
  if (sameType.length <= 1) return sameType[0];
  const tag = discriminatorOf(option);
  return tag ? sameType.find((candidate) => same(discriminatorOf(candidate), tag)) : undefined;
}

function compareSingle(before: Node, after: Node, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  compareAnnotations(before, after, path, out);
  const old = withoutAnnotations(before);
  const now = withoutAnnotations(after);
  if (same(old, now)) return;
  if (old[UNREPRESENTABLE_KEYWORD] !== undefined || now[UNREPRESENTABLE_KEYWORD] !== undefined) {
    const what = label(old) === label(now) ? `${label(now)}: the schema it is piped into changed` : `changed from ${label(old)} to ${label(now)}`;
    out.push(schemaChange(path, ChangeKind.Unknown, `${what}, which JSON Schema cannot describe: could not prove the change safe`));
    return;
  }
  const oldType = typeOf(old);
  const newType = typeOf(now);
  if (oldType !== newType) {
    if (acceptsAnything(now)) return void out.push(schemaChange(path, ChangeKind.TypeWidened, `type widened from ${oldType} to any value`));
    if (acceptsAnything(old)) return void out.push(schemaChange(path, ChangeKind.TypeNarrowed, `type narrowed from any value to ${newType}`));
    if (oldType === "integer" && newType === "number") out.push(schemaChange(path, ChangeKind.TypeWidened, `type widened from integer to number`));
    else if (oldType === "number" && newType === "integer") out.push(schemaChange(path, ChangeKind.TypeNarrowed, `type narrowed from number to integer`));
    else return void out.push(schemaChange(path, ChangeKind.TypeChanged, `type changed from ${oldType} to ${newType}`));
  }
  compareValues(old, now, path, out);
  compareBound("lower", lowerBound(old), lowerBound(now), path, out);
  compareBound("upper", upperBound(old), upperBound(now), path, out);
  // A closed tuple's length is its elements': `compareItems` names the element that came or went.
  const tuples = closedTuple(old) && closedTuple(now);
  for (const keyword of ["minLength", "minItems", "minProperties"]) if (!(tuples && keyword === "minItems")) compareLimit(keyword, +1, old[keyword], now[keyword], path, out);
  for (const keyword of ["maxLength", "maxItems", "maxProperties"]) if (!(tuples && keyword === "maxItems")) compareLimit(keyword, -1, old[keyword], now[keyword], path, out);
  compareMultipleOf(old.multipleOf, now.multipleOf, path, out);
  for (const keyword of ["pattern", "format"]) compareAddedConstraint(keyword, old[keyword], now[keyword], path, out);
  if (old.uniqueItems !== now.uniqueItems) {
    if (now.uniqueItems === true) out.push(schemaChange(path, ChangeKind.ConstraintTightened, `items must now be unique`));
    else out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `items need no longer be unique`));
  }
  compareProperties(old, now, path, out);
  compareAdditionalProperties(old.additionalProperties, now.additionalProperties, path, out);
  if (tuples) compareTuple(old, now, path, out);
  else compareItems(old.items, now.items, path, out);
  for (const keyword of new Set([...Object.keys(old), ...Object.keys(now)])) {
    if (UNDERSTOOD.has(keyword) || same(old[keyword], now[keyword])) continue;
    out.push(schemaChange(path, ChangeKind.Unknown, `\`${keyword}\` changed, which the gate cannot compare: could not prove the change safe`));
  }
}

function compareAnnotations(before: Node, after: Node, path: string, out: SchemaChange[]): void {
  for (const keyword of ANNOTATIONS) {
    if (!same(before[keyword], after[keyword])) out.push(schemaChange(path, ChangeKind.AnnotationChanged, `${keyword} changed`));
  }
}

/** `enum` and `const`, a constant being an enum of one. */
function compareValues(old: Node, now: Node, path: string, out: SchemaChange[]): void {
  const before = valuesOf(old);
  const after = valuesOf(now);
  if (same(before, after)) return;
  if (old.const !== undefined && now.const !== undefined) {
    return void out.push(schemaChange(path, ChangeKind.ConstChanged, `constant changed from ${show(old.const)} to ${show(now.const)}`));
  }
  if (!before) return void out.push(schemaChange(path, ChangeKind.ConstraintTightened, `now limited to ${after!.map(show).join(", ")}`));
  if (!after) return void out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `no longer limited to ${before.map(show).join(", ")}`));
  for (const value of before) if (!after.some((v) => same(v, value))) out.push(schemaChange(path, ChangeKind.EnumValueRemoved, `enum value ${show(value)} removed`));
  for (const value of after) if (!before.some((v) => same(v, value))) out.push(schemaChange(path, ChangeKind.EnumValueAdded, `enum value ${show(value)} added`));
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

function lowerBound(node: Node): Bound | undefined {
  return stricter(bound(node.minimum, false), bound(node.exclusiveMinimum, true), +1);
}

function upperBound(node: Node): Bound | undefined {
  return stricter(bound(node.maximum, false), bound(node.exclusiveMaximum, true), -1);
}

function bound(value: unknown, exclusive: boolean): Bound | undefined {
  return typeof value === "number" && !SAFE_INTEGER_BOUNDS.has(value) ? { value, exclusive } : undefined;
}

/** Of two bounds of one side, the one that admits less; `direction` +1 for lower bounds. */
function stricter(a: Bound | undefined, b: Bound | undefined, direction: 1 | -1): Bound | undefined {
  if (!a || !b) return a ?? b;
  return tighter(a, b, direction) ? b : a;
}

/** Whether `b` admits less than `a`. */
function tighter(a: Bound, b: Bound, direction: 1 | -1): boolean {
  return (b.value - a.value) * direction > 0 || (b.value === a.value && b.exclusive && !a.exclusive);
}

function compareBound(side: "lower" | "upper", before: Bound | undefined, after: Bound | undefined, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  const direction = side === "lower" ? 1 : -1;
  const text = (b: Bound) => `${direction > 0 ? ">" : "<"}${b.exclusive ? "" : "="} ${b.value}`;
  if (!before) return void out.push(schemaChange(path, ChangeKind.ConstraintTightened, `${side} bound ${text(after!)} added`));
  if (!after) return void out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `${side} bound ${text(before)} removed`));
  const kind = tighter(before, after, direction) ? ChangeKind.ConstraintTightened : ChangeKind.ConstraintLoosened;
  out.push(schemaChange(path, kind, `${side} bound ${kind === ChangeKind.ConstraintTightened ? "tightened" : "loosened"} from ${text(before)} to ${text(after)}`));
}

/** A count limit; `direction` +1 when raising it admits less (`minLength`), -1 when lowering does. */
function compareLimit(keyword: string, direction: 1 | -1, before: unknown, after: unknown, path: string, out: SchemaChange[]): void {
  if (before === after) return;
  if (typeof before !== "number") return void out.push(schemaChange(path, ChangeKind.ConstraintTightened, `${keyword} ${String(after)} added`));
  if (typeof after !== "number") return void out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `${keyword} ${before} removed`));
  const tightened = (after - before) * direction > 0;
  out.push(schemaChange(path, tightened ? ChangeKind.ConstraintTightened : ChangeKind.ConstraintLoosened, `${keyword} ${tightened ? "tightened" : "loosened"} from ${before} to ${after}`));
}

function compareMultipleOf(before: unknown, after: unknown, path: string, out: SchemaChange[]): void {
  if (before === after) return;
  if (typeof before !== "number") return void out.push(schemaChange(path, ChangeKind.ConstraintTightened, `multipleOf ${String(after)} added`));
  if (typeof after !== "number") return void out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `multipleOf ${before} removed`));
  // Every multiple of 4 is one of 2: 4 -> 2 admits more, 2 -> 4 (or 2 -> 3) admits less. The ratio
  // is compared to an integer with a tolerance: 0.1 % 0.01 is not 0 in floating point.
  const ratio = before / after;
  const loosened = Math.abs(ratio - Math.round(ratio)) < 1e-9 * Math.max(1, ratio);
  out.push(schemaChange(path, loosened ? ChangeKind.ConstraintLoosened : ChangeKind.ConstraintTightened, `multipleOf ${loosened ? "loosened" : "tightened"} from ${before} to ${after}`));
}

/** `pattern` and `format`: any new or different one may reject what the old one admitted. */
function compareAddedConstraint(keyword: string, before: unknown, after: unknown, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  const text = (value: unknown) => (keyword === "pattern" ? `\`${String(value)}\`` : String(value));
  if (before === undefined) out.push(schemaChange(path, ChangeKind.ConstraintTightened, `${keyword} ${text(after)} added`));
  else if (after === undefined) out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `${keyword} ${text(before)} removed`));
  else out.push(schemaChange(path, ChangeKind.ConstraintTightened, `${keyword} changed from ${text(before)} to ${text(after)}`));
}

function compareProperties(old: Node, now: Node, path: string, out: SchemaChange[]): void {
  const before = (old.properties ?? {}) as Record<string, Node>;
  const after = (now.properties ?? {}) as Record<string, Node>;
  const requiredBefore = new Set((old.required ?? []) as string[]);
  const requiredAfter = new Set((now.required ?? []) as string[]);
  const added = Object.keys(after).filter((key) => !(key in before));
  for (const [key, schema] of Object.entries(before)) {
    const at = `${path}.${key}`;
    if (!(key in after)) {
      const renamed = added.find((other) => same(after[other], schema));
      out.push(schemaChange(at, ChangeKind.FieldRemoved, renamed ? `field removed (renamed to \`${renamed}\`?)` : `field removed`));
      continue;
    }
    if (requiredBefore.has(key) && !requiredAfter.has(key)) out.push(schemaChange(at, ChangeKind.MadeOptional, `required field made optional`));
    if (!requiredBefore.has(key) && requiredAfter.has(key)) out.push(schemaChange(at, ChangeKind.MadeRequired, `optional field made required`));
    compareNode(schema, after[key]!, at, out);
  }
  for (const key of added) {
    const required = requiredAfter.has(key);
    out.push(schemaChange(`${path}.${key}`, required ? ChangeKind.RequiredFieldAdded : ChangeKind.OptionalFieldAdded, required ? `new required field` : `new optional field`));
  }
}

function compareAdditionalProperties(before: unknown, after: unknown, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  if (after === false) return void out.push(schemaChange(path, ChangeKind.ConstraintTightened, `additional properties no longer allowed`));
  if (before === false) return void out.push(schemaChange(path, ChangeKind.ConstraintLoosened, `additional properties now allowed`));
  compareNode(asSchema(before), asSchema(after), `${path}.*`, out);
}

function compareItems(before: unknown, after: unknown, path: string, out: SchemaChange[]): void {
  if (same(before, after)) return;
  if (!Array.isArray(before) && !Array.isArray(after)) return compareNode(asSchema(before), asSchema(after), `${path}[]`, out);
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, i) => compareNode(item as Node, after[i] as Node, `${path}[${i}]`, out));
    return;
  }
  const kind = (items: unknown) => (Array.isArray(items) ? "a tuple" : "a list");
  const what = kind(before) === kind(after) ? `\`items\` of a tuple with extra items changed` : `\`items\` changed from ${kind(before)} to ${kind(after)}`;
  out.push(schemaChange(path, ChangeKind.Unknown, `${what}, which the gate cannot compare: could not prove the change safe`));
}

/** A tuple that admits no element past its own (zod's `z.tuple([...])` without a rest). */
function closedTuple(node: Node): boolean {
  return Array.isArray(node.items) && node.additionalItems === false;
}

/** Two closed tuples, element by element; an element at an index below `minItems` is required. */
function compareTuple(old: Node, now: Node, path: string, out: SchemaChange[]): void {
  const before = old.items as Node[];
  const after = now.items as Node[];
  const required = (node: Node, i: number) => i < (typeof node.minItems === "number" ? node.minItems : 0);
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const at = `${path}[${i}]`;
    if (i >= after.length) {
      out.push(schemaChange(at, ChangeKind.FieldRemoved, `element removed`));
      continue;
    }
    if (i >= before.length) {
      out.push(required(now, i) ? schemaChange(at, ChangeKind.RequiredFieldAdded, `new required element`) : schemaChange(at, ChangeKind.OptionalFieldAdded, `new optional element`));
      continue;
    }
    if (required(old, i) && !required(now, i)) out.push(schemaChange(at, ChangeKind.MadeOptional, `required element made optional`));
    if (!required(old, i) && required(now, i)) out.push(schemaChange(at, ChangeKind.MadeRequired, `optional element made required`));
    compareNode(before[i]!, after[i]!, at, out);
  }
}

/** `{}` (annotations aside): any value, as `z.unknown()` writes it. */
function acceptsAnything(node: Node): boolean {
  return Object.keys(withoutAnnotations(node)).length === 0;
}

const asSchema = (value: unknown): Node => (typeof value === "object" && value !== null ? (value as Node) : {});

function withoutAnnotations(node: Node): Node {
  return Object.fromEntries(Object.entries(node).filter(([key]) => !(ANNOTATIONS as readonly string[]).includes(key)));
}

function typeOf(node: Node): string {
  const type = Array.isArray(node.type) && node.type.length === 1 ? node.type[0] : node.type;
  return typeof type === "string" ? type : "any";
}

function valuesOf(node: Node): readonly unknown[] | undefined {
  return node.const !== undefined ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
}

/** The constant properties of an object option (a discriminated union's tag). */
function discriminatorOf(node: Node): Record<string, unknown> | undefined {
  const properties = Object.entries((node.properties ?? {}) as Record<string, Node>).filter(([, schema]) => schema.const !== undefined);
  return properties.length > 0 ? Object.fromEntries(properties.map(([key, schema]) => [key, schema.const])) : undefined;
}

/** How a message names what a node accepts: `null`, `"express"`, `object (kind: "card")`, `date`. */
function label(node: Node): string {
  const bare = withoutAnnotations(node);
  const marker = bare[UNREPRESENTABLE_KEYWORD];
  if (marker === "pipe") {
    const { [UNREPRESENTABLE_KEYWORD]: _pipe, [PIPE_KEYWORD]: _other, ...input } = bare;
    return `${label(input)} piped into another schema`;
  }
  if (marker !== undefined) return String(marker);
  const values = valuesOf(bare);
  if (values) return values.map(show).join(" | ");
  const tag = discriminatorOf(bare);
  if (tag) return `object (${Object.entries(tag).map(([key, value]) => `${key}: ${show(value)}`).join(", ")})`;
  const type = typeOf(bare);
  return type === "any" ? "any value" : type;
}

const show = (value: unknown): string => JSON.stringify(value);

/** Structural equality, whatever the order of keys (the lock file sorts them). */
export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  ) ?? "undefined";
}
