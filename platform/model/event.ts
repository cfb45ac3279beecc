import type { z } from "zod";

/** What a context author writes to declare an event. */
export interface EventSpec<Name extends string, Schema extends z.ZodType> {
  /** PascalCase, unique within its context, e.g. `OrderPlaced`. */
  readonly name: Name;
  /** The `data` payload, validated before publish and on receipt. */
  readonly schema: Schema;
  /**
   * Schema version; goes into the CloudEvent's `dataschema`. Bump it on a breaking change.
   * @default 1
   */
  readonly version?: number;
  readonly description?: string;
}

export interface EventDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly kind: "event";
  readonly name: Name;
  readonly schema: Schema;
  readonly version: number;
  readonly description: string | undefined;
}

/** An event as declared by a context: what consumers reference in `on`. */
export interface ContextEvent<
  Context extends string = string,
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
> extends EventDefinition<Name, Schema> {
  readonly context: Context;
  /** CloudEvent `type`: `<context>.<Event>`. */
  readonly type: `${Context}.${Name}`;
}

/** The parsed `data` of an event. */
export type EventData<E extends EventDefinition> = z.output<E["schema"]>;

/**
 * Declares an event. Bind it to a context by listing it in `defineContext({ events })`.
 *
 * @example
 * export const OrderPlaced = defineEvent({
 *   name: "OrderPlaced",
 *   schema: z.object({ orderId: z.string(), total: z.number() }),
 * });
 */
export function defineEvent<const Name extends string, Schema extends z.ZodType>(
  spec: EventSpec<Name, Schema>,
): EventDefinition<Name, Schema> {
  return {
    kind: "event",
    name: spec.name,
    schema: spec.schema,
    version: spec.version ?? 1,
    description: spec.description,
  };
}
