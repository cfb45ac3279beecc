import * as z from "zod";

/** A JSON Schema (draft-07) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * Marks a value JSON Schema cannot describe (a date, a bigint, a transform's output), which
 * would otherwise read as `{}`, "anything": the schema gate must not take a change between two
 * such values for no change, and the catalog tells a reader what the value is.
 */
export const UNREPRESENTABLE_KEYWORD = "x-zod-type";

/** zod types whose empty JSON Schema is the truth: they accept anything. */
const ACCEPTS_ANYTHING = new Set(["any", "unknown"]);

/**
 * JSON Schema draft-07 of an event's data: the AsyncAPI Schema Object is a superset of
 * draft-07, so the parser takes it as is, and the schema gate compares releases with it.
 * `$schema` is dropped because the schema is embedded. The output side of the schema: what the
 * publisher writes after parsing (unknown keys stripped).
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, {
    target: "draft-7",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const type = (zodSchema as { _zod: { def: { type: string } } })._zod.def.type;
      if (Object.keys(jsonSchema).length === 0 && !ACCEPTS_ANYTHING.has(type)) (jsonSchema as Record<string, unknown>)[UNREPRESENTABLE_KEYWORD] = type;
    },
  }) as Record<string, unknown>;
  return rest;
}
