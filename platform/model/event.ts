import type { z } from "zod";
import { callerFile } from "./source";

/** What a context author writes to declare an event. */
export interface EventSpec<Name extends string, Schema extends z.ZodType, Version extends number = number> {
  /** PascalCase, unique within its context, e.g. `OrderPlaced`. */
  readonly name: Name;
  /** The `data` payload, validated before publish and on receipt. */
  readonly schema: Schema;
  /**
   * Schema version; goes into the CloudEvent's `dataschema`, and from 2 on into its type
   * (`<context>.<Name>.v<N>`). A breaking change is published as a new version side by side
   * with the old one (docs/schema-evolution.md).
   * @default 1
   */
  readonly version?: Version;
  readonly description?: string;
}

export interface EventDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType, Version extends number = number> {
  readonly kind: "event";
  readonly name: Name;
  readonly schema: Schema;
  readonly version: Version;
  readonly description: string | undefined;
  /** The file that declared the event, for messages that say where to change it. */
  readonly definedIn?: string | undefined;
}

/**
 * The event's part of its CloudEvent type and its key in the context's `events`: `Name` for
 * version 1, `Name.v<N>` after (`names.eventType` builds the value).
 */
export type VersionedName<Name extends string, Version extends number> = number extends Version
  ? Name | `${Name}.v${number}`
  : Version extends 1
    ? Name
    : `${Name}.v${Version}`;

/** An event as declared by a context: what consumers reference in `on`. */
export interface ContextEvent<
  Context extends string = string,
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
  Version extends number = number,
> extends EventDefinition<Name, Schema, Version> {
  readonly context: Context;
  /** CloudEvent `type`: `<context>.<Event>`, or `<context>.<Event>.v<N>` from version 2 on. */
  readonly type: `${Context}.${VersionedName<Name, Version>}`;
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
 * @example
 * // A breaking change, published side by side with version 1 (type `orders.OrderPlaced.v2`).
 * export const OrderPlacedV2 = defineEvent({ name: "OrderPlaced", version: 2, schema: ... });
 */
export function defineEvent<const Name extends string, Schema extends z.ZodType, const Version extends number = 1>(
  spec: EventSpec<Name, Schema, Version>,
): EventDefinition<Name, Schema, Version> {
  return {
    kind: "event",
    name: spec.name,
    schema: spec.schema,
    version: spec.version ?? (1 as Version),
    description: spec.description,
    definedIn: callerFile(),
  };
}
