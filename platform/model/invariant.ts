import type { ContextEvent } from "./event";
import { callerFile } from "./source";

/** A time bound, e.g. `{ minutes: 15 }`. */
export interface Duration {
  readonly seconds?: number;
  readonly minutes?: number;
  readonly hours?: number;
  readonly days?: number;
}

interface InvariantBase {
  /** kebab-case, unique in the topology; names the violations it reports. */
  readonly name: string;
  readonly description?: string;
  /**
   * The business key, as a simple JSONPath into the data of every event the invariant names
   * (`"$.orderId"`): events with the same key are one flow.
   */
  readonly key: string;
  /** The event that opens the flow for a key: the invariant holds from it on. */
  readonly after: ContextEvent;
}

/** `after` is followed, within `within`, by exactly one event among `exactlyOne` for the same key: never none, never two. */
export interface ExactlyOneSpec extends InvariantBase {
  readonly exactlyOne: readonly ContextEvent[];
  readonly within: Duration;
}

/** None of `never` comes after `after` for the same key. */
export interface NeverSpec extends InvariantBase {
  readonly never: readonly ContextEvent[];
}

export type InvariantSpec = ExactlyOneSpec | NeverSpec;

export type InvariantDefinition = InvariantSpec & {
  readonly kind: "invariant";
  /** The bound in seconds (exactlyOne); undefined for `never`. */
  readonly withinSeconds: number | undefined;
  /** Every event type the invariant reads: `after` first. */
  readonly reads: readonly ContextEvent[];
  readonly definedIn: string | undefined;
};

/**
 * Declares what must hold across contexts for one business key once its flow has settled.
 * Checked by the platform's `invariants` group, on AWS and in `npm start`.
 *
 * @example
 * export const settlesOnce = defineInvariant({
 *   name: "order-settles-once",
 *   description: "A placed order is invoiced or refunded within 15 minutes, never both.",
 *   key: "$.orderId",
 *   after: orders.events.OrderPlaced,
 *   exactlyOne: [billing.events.InvoiceIssued, orders.events.OrderRefunded],
 *   within: { minutes: 15 },
 * });
 */
export function defineInvariant(spec: InvariantSpec): InvariantDefinition {
  const then = "exactlyOne" in spec ? spec.exactlyOne : spec.never;
  return {
    ...spec,
    kind: "invariant",
    withinSeconds: "exactlyOne" in spec ? secondsOf(spec.within) : undefined,
    reads: [spec.after, ...then.filter((e) => e.type !== spec.after.type)],
    definedIn: callerFile(),
  };
}

export function secondsOf(duration: Duration): number {
  return (duration.seconds ?? 0) + (duration.minutes ?? 0) * 60 + (duration.hours ?? 0) * 3600 + (duration.days ?? 0) * 86_400;
}

/** The events an invariant expects after `after` (exactlyOne) or forbids (never). */
export const followersOf = (invariant: InvariantSpec): readonly ContextEvent[] => ("exactlyOne" in invariant ? invariant.exactlyOne : invariant.never);

/** One event as the checker keeps it. */
export interface SeenEvent {
  readonly id: string;
  readonly type: string;
  /** ISO 8601, the event's own `time`. */
  readonly time: string;
}

export const ViolationKind = {
  /** exactlyOne: none of the expected events came within the bound (or before the flow settled, locally). */
  Missing: "missing",
  /** exactlyOne: more than one did. */
  MoreThanOne: "more-than-one",
  /** exactlyOne: the one that came was later than the bound. */
  Late: "late",
  /** never: a forbidden event came after `after`. */
  Forbidden: "forbidden",
} as const;
export type ViolationKind = (typeof ViolationKind)[keyof typeof ViolationKind];

export interface Violation {
  readonly invariant: string;
  readonly key: string;
  readonly kind: ViolationKind;
  readonly message: string;
  /** What the checker had seen for the key, in time order. */
  readonly events: readonly SeenEvent[];
}

/**
 * The violations of `invariant` for one key, given every event seen for it (any order,
 * duplicates by id ignored). `now` (ms) decides whether the bound has passed; `settled` says the
 * flow is over (the local demo's end), so an expected event that has not come never will.
 * Pure: the same events give the same answer however often, in whatever order, they arrive.
 */
export function evaluate(invariant: InvariantDefinition, key: string, seen: readonly SeenEvent[], now: number, settled = false): Violation[] {
  const events = [...new Map(seen.map((e) => [e.id, e])).values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
  const opening = events.find((e) => e.type === invariant.after.type);
  if (!opening) return [];
  const opened = Date.parse(opening.time);
  const followers = new Set<string>(followersOf(invariant).map((e) => e.type));
  const matches = events.filter((e) => followers.has(e.type) && e.id !== opening.id);
  const violation = (kind: ViolationKind, message: string): Violation => ({ invariant: invariant.name, key, kind, message, events });
  const list = [...followers].join(" or ");

  if ("never" in invariant) {
    const forbidden = matches.filter((e) => Date.parse(e.time) >= opened);
    return forbidden.length === 0 ? [] : [violation(ViolationKind.Forbidden, `${forbidden.map((e) => e.type).join(", ")} came after ${invariant.after.type}; it never may.`)];
  }
  const bound = opened + invariant.withinSeconds! * 1000;
  if (matches.length === 0) {
    if (now < bound && !settled) return [];
    const why = now >= bound ? `within ${invariant.withinSeconds} s` : "before the flow settled";
    return [violation(ViolationKind.Missing, `no ${list} came ${why} after ${invariant.after.type}.`)];
  }
  const found: Violation[] = [];
  if (matches.length > 1) found.push(violation(ViolationKind.MoreThanOne, `${matches.map((e) => e.type).join(" and ")} both came after ${invariant.after.type}; exactly one of ${list} may.`));
  const first = matches[0]!;
  if (Date.parse(first.time) > bound) found.push(violation(ViolationKind.Late, `${first.type} came ${Math.round((Date.parse(first.time) - opened) / 1000)} s after ${invariant.after.type}, later than ${invariant.withinSeconds} s.`));
  return found;
}

/**
 * When `evaluate` could next find a violation without a new event: the bound of an exactlyOne
 * invariant whose opening event came and no expected event yet; undefined otherwise.
 */
export function dueAt(invariant: InvariantDefinition, seen: readonly SeenEvent[]): number | undefined {
  if (!("exactlyOne" in invariant)) return undefined;
  const opening = seen.filter((e) => e.type === invariant.after.type).sort((a, b) => Date.parse(a.time) - Date.parse(b.time))[0];
  if (!opening) return undefined;
  const followers = new Set<string>(invariant.exactlyOne.map((e) => e.type));
  if (seen.some((e) => followers.has(e.type))) return undefined;
  return Date.parse(opening.time) + invariant.withinSeconds! * 1000;
}

/** The checker's consumer group: one for the whole topology. */
export const INVARIANTS_GROUP = "invariants";
/** The `handler` of the invariants group: the platform's. */
export const INVARIANTS_HANDLER = "ensemble:invariants";
/** CloudEvent `type` of a violation on the violations topic. */
export const VIOLATION_EVENT_TYPE = "ensemble.InvariantViolated";
/** The `message` of the log line the invariants handler writes per violation: the stack's metric filter counts it. */
export const VIOLATION_LOG_MESSAGE = "invariant violated";

/**
 * How long the invariants group keeps a key's events after its last one: the longest bound plus
 * as long as anything the group reads can be replayed (its deduplication window), so a replayed
 * event still finds its key's history and reports nothing twice.
 */
export function invariantKeepSeconds(invariants: readonly InvariantDefinition[], dedupeWindowSeconds: number): number {
  return Math.max(0, ...invariants.map((invariant) => invariant.withinSeconds ?? 0)) + dedupeWindowSeconds;
}
