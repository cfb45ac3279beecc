import * as z from "zod";
import { type ContextDefinition, type ContextEvent, MILESTONE_FUNCTION } from "../model";

/** A JSON Schema node, as `z.toJSONSchema` writes it: only what sampling reads. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export type Sample =
  /** An entry of the tests' `examples` (test/unit/consumers/deliveries.ts) the schema accepts. */
  | { readonly expression: string; readonly value: unknown }
  /** Data built from the schema; `problem` says why the schema still refuses it, if it does. */
  | { readonly literal: unknown; readonly problem?: string };

/**
 * Valid example data for an event, for the generated test: the first of the tests' `examples`
 * the event's schema accepts (with exactly the schema's fields, if one has), else data built
 * from the schema. Functions among the examples (`packed(line)`) are called with 0.
 */
export function sampleFor(event: ContextEvent, examples: Readonly<Record<string, unknown>> | undefined): Sample {
  const candidates = Object.entries(examples ?? {}).flatMap(([key, example]) => {
    if (typeof example !== "function") return [{ expression: `examples.${key}`, value: example }];
    try {
      return [{ expression: `examples.${key}(0)`, value: (example as (n: number) => unknown)(0) }];
    } catch {
      return [];
    }
  });
  const fields = new Set(dataFields(event));
  const accepted = candidates.filter((c) => event.schema.safeParse(c.value).success);
  const exact = accepted.find((c) => sameKeys(c.value, fields));
  if (exact ?? accepted[0]) return exact ?? accepted[0]!;

  const literal = sampleOf(jsonSchema(event.schema, "input"), "value");
  const parsed = event.schema.safeParse(literal);
  return parsed.success ? { literal } : { literal, problem: z.prettifyError(parsed.error).replace(/\n\s*/g, " ") };
}

/** The top-level fields of an event's data, in schema order; empty when the data is not an object. */
export function dataFields(event: ContextEvent): string[] {
  return Object.keys(jsonSchema(event.schema, "output").properties ?? {});
}

/** The field naming the entity an event is about: the first required string field ending in "Id", else the first required string. */
export function entityField(event: ContextEvent): string | undefined {
  const schema = jsonSchema(event.schema, "output");
  const strings = Object.entries(schema.properties ?? {})
    .filter(([name, field]) => field.type === "string" && (schema.required ?? []).includes(name))
    .map(([name]) => name);
  return strings.find((name) => /Id$/.test(name)) ?? strings[0];
}

/** What the workflow input function makes of data: its schema fields, picked from the parsed data. */
export function asWorkflowInput(event: ContextEvent, data: unknown): unknown {
  const parsed = event.schema.safeParse(data);
  if (!parsed.success) return undefined;
  const fields = dataFields(event);
  if (fields.length === 0 || parsed.data === null || typeof parsed.data !== "object") return parsed.data;
  const value = parsed.data as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => value[f] !== undefined).map((f) => [f, value[f]]));
}

/** Where a context's workflow publishes an event: the milestone state, its key's JSONPath, whether it is inside a Map. */
export function milestoneOf(context: ContextDefinition, eventType: string): { state: string; keyPath: string | undefined; inMap: boolean } | undefined {
  let found: { state: string; keyPath: string | undefined; inMap: boolean } | undefined;
  const visit = (value: unknown) => {
    if (found || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) return value.forEach(visit);
    const node = value as Record<string, unknown>;
    const payload = node.Payload as Record<string, unknown> | undefined;
    if (node.FunctionName === MILESTONE_FUNCTION && payload?.type === eventType && typeof payload.state === "string") {
      found = { state: payload.state, keyPath: typeof payload["key.$"] === "string" ? payload["key.$"] : undefined, inMap: "mapIndex.$" in payload };
      return;
    }
    Object.values(node).forEach(visit);
  };
  visit(context.workflow?.asl);
  return found;
}

/** The Kafka key the milestone would give `data`: the field its `$.field` key path names, else `<context>-1`. */
export function keyFor(context: string, keyPath: string | undefined, data: unknown): string {
  const field = keyPath && /^\$\.([A-Za-z_$][\w$]*)$/.exec(keyPath)?.[1];
  const value = field && data !== null && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  return typeof value === "string" && value !== "" ? value : `${context}-1`;
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  } catch {
    return {};
  }
}

function sameKeys(value: unknown, fields: ReadonlySet<string>): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return fields.size === 0;
  const keys = Object.keys(value);
  return keys.length === fields.size && keys.every((k) => fields.has(k));
}

/** A value the schema node should accept; `name` (the field's) makes strings readable: `orderId` → "order-1". */
export function sampleOf(schema: JsonSchema, name: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative) return sampleOf(alternative, name);
  if (schema.allOf?.length) return sampleOf(Object.assign({}, ...schema.allOf) as JsonSchema, name);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const type = types.find((t) => t !== "null") ?? types[0];
  switch (type) {
    case "object": {
      const required = new Set(schema.required ?? []);
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([key]) => required.has(key))
          .map(([key, property]) => [key, sampleOf(property, key)]),
      );
    }
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sampleOf(schema.items ?? {}, name));
    case "string":
      return stringSample(schema, name);
    case "integer":
    case "number":
      return numberSample(schema, type === "integer");
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return null;
  }
}

function stringSample(schema: JsonSchema, name: string): string {
  const formats: Record<string, string> = {
    email: "someone@example.com",
    uuid: "00000000-0000-4000-8000-000000000001",
    "date-time": "2025-01-01T00:00:00.000Z",
    date: "2025-01-01",
    time: "00:00:00",
    uri: "https://example.com/",
    url: "https://example.com/",
  };
  const readable = name.replace(/Id$/, "").replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
  const base = schema.format && formats[schema.format] ? formats[schema.format]! : /Id$/.test(name) ? `${readable}-1` : readable || "text";
  const fit = (text: string) => {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
    const long = text.length < min ? text + "x".repeat(min - text.length) : text;
    return long.length > max ? long.slice(0, max) : long;
  };
  if (!schema.pattern) return fit(base);
  const pattern = new RegExp(schema.pattern);
  return [base, fit(base), "x", "X", "1", "a1", "A1", "abc", "ABC", "123", "x-1"].find((c) => pattern.test(c)) ?? fit(base);
}

function numberSample(schema: JsonSchema, integer: boolean): number {
  const step = schema.multipleOf ?? (integer ? 1 : 0.5);
  let value =
    schema.minimum !== undefined ? schema.minimum : schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : step) : 1;
  if (schema.multipleOf) value = Math.ceil(value / schema.multipleOf) * schema.multipleOf;
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) value += step;
  if (schema.maximum !== undefined && value > schema.maximum) value = schema.maximum;
  return integer ? Math.ceil(value) : value;
}
