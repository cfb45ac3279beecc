import * as z from "zod";

/** A JSON Schema (draft-07) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * Marks a value JSON Schema cannot describe (a date, a bigint, a transform's output), which
 * would otherwise read as `{}`, "anything": the schema gate must not take a change between two
 * such values for no change, and the catalog tells a reader what the value is. On the input side
 * it also marks a pipe into a schema that can reject (`"pipe"`): the JSON Schema shows what the
 * pipe's first schema accepts, not what the second then rejects.
 */
export const UNREPRESENTABLE_KEYWORD = "x-zod-type";

/** Beside a `"pipe"` mark: the JSON Schema of the pipe's other schema, the one not shown. */
export const PIPE_KEYWORD = "x-zod-pipe";

/** zod types whose empty JSON Schema is the truth: they accept anything. */
const ACCEPTS_ANYTHING = new Set(["any", "unknown"]);

/** Which side of a schema: what a parse accepts (`input`), or what it returns (`output`). */
export type SchemaSide = "input" | "output";

interface ZodDef {
  readonly type: string;
  readonly innerType?: { readonly _zod: { readonly def: ZodDef } };
  readonly in?: { readonly _zod: { readonly def: ZodDef } };
  readonly out?: { readonly _zod: { readonly def: ZodDef } };
}

/**
 * JSON Schema draft-07 of an event's data: the AsyncAPI Schema Object is a superset of
 * draft-07, so the parser takes it as is. `$schema` is dropped because the schema is embedded.
 *
 * - `output` (the default, the catalog's): what the publisher writes after parsing (unknown keys
 *   stripped, defaults filled in): the wire shape.
 * - `input` (the schema gate's): what a reader's parse accepts: a field with a default may be
 *   absent, unknown keys are allowed, and a pipe shows its first schema.
 */
export function jsonSchemaOf(schema: z.ZodType, options: { readonly io?: SchemaSide } = {}): JsonSchema {
  const io = options.io ?? "output";
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, {
    target: "draft-7",
    io,
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const def = (zodSchema as unknown as { _zod: { def: ZodDef } })._zod.def;
      const marked = jsonSchema as Record<string, unknown>;
      if (Object.keys(jsonSchema).length === 0 && !ACCEPTS_ANYTHING.has(innermost(def).type)) marked[UNREPRESENTABLE_KEYWORD] = def.type;
      // zod writes a pipe's input side from its first schema only (from the second after a
      // preprocess); what the other may reject or admit, JSON Schema does not show, so it is kept
      // beside it for the gate to see it change. A pipe into a bare transform (`.transform(f)`)
      // rejects nothing more and needs no mark.
      else if (io === "input" && def.type === "pipe" && def.out?._zod.def.type !== "transform") {
        const other = def.in?._zod.def.type === "transform" ? def.in : def.out;
        marked[UNREPRESENTABLE_KEYWORD] = "pipe";
        marked[PIPE_KEYWORD] = jsonSchemaOf(other as unknown as z.ZodType, { io });
      }
    },
  }) as Record<string, unknown>;
  return rest;
}

/** The type under wrappers that keep what they wrap's JSON Schema (`optional`, `default`, ...). */
function innermost(def: ZodDef): ZodDef {
  return def.innerType ? innermost(def.innerType._zod.def) : def;
}
