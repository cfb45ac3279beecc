/** Names in generated code: from kebab-case names to identifiers, and which identifiers are safe. */
import { pascal, versionedEventName } from "../model/names";

/** `order-watch` → `orderWatch`; `OrderPlaced` → `orderPlaced`. */
export function camel(name: string): string {
  const upper = pascal(name);
  return upper.length === 0 ? "group" : upper[0]!.toLowerCase() + upper.slice(1);
}

/** Words JavaScript reserves (or forbids as bindings in modules). */
export const RESERVED = new Set(
  (
    "arguments await break case catch class const continue debugger default delete do else enum eval export extends false finally for " +
    "function if implements import in instanceof interface let new null package private protected public return static super switch " +
    "this throw true try typeof var void while with yield"
  ).split(" "),
);

export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name);
}

/**
 * How generated code names a subscribed event: `orders.events.OrderPlaced`, or for a later version
 * its key in the context's `events`, `orders.events["OrderPlaced.v2"]`.
 */
export function eventReference(event: { readonly contextExport: string; readonly name: string; readonly version: number }): string {
  return event.version === 1 ? `${event.contextExport}.events.${event.name}` : `${event.contextExport}.events[${JSON.stringify(versionedEventName(event.name, event.version))}]`;
}
