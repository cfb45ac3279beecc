import type { ContextEvent } from "../event";
import type { ValidTopology } from "../validate";
import { ChangeKind, changeText, type SchemaChange, schemaChange } from "./changes";
import { compareSchemas, same } from "./compare";
import { SchemaGateError } from "./errors";
import { entryOf, type LockEntry, type SchemaLock } from "./lock";

export const EventStatus = {
  /** Not in the baseline: recorded as it is. */
  Added: "added",
  /** Its schema, version or readers differ from the baseline. */
  Changed: "changed",
  Unchanged: "unchanged",
  /** In the baseline, no longer in the topology. */
  Removed: "removed",
} as const;
export type EventStatus = (typeof EventStatus)[keyof typeof EventStatus];

/** What the gate found for one event type. */
export interface EventVerdict {
  readonly type: string;
  readonly context: string;
  readonly name: string;
  readonly version: number;
  readonly status: EventStatus;
  /** Every schema change, breaking or not (a removed event has one `EventRemoved`). */
  readonly changes: readonly SchemaChange[];
  /** Groups that read it now, in the topology's order, then those that read it at release only. */
  readonly readers: readonly string[];
  /** Whether the readers differ from the baseline's. */
  readonly readersChanged: boolean;
  /** A breaking change, and a group that reads (or read) the event: it blocks unless accepted. */
  readonly breaking: boolean;
  /** Its breaking changes were accepted on this run (`--accept`). */
  readonly accepted: boolean;
  /** Where a new version would be declared: the event's file, else its context's. */
  readonly declaredIn: string | undefined;
  /** The other versions of the event (same context and name) declared now, ascending: a new version takes the next free one. */
  readonly otherVersions: readonly number[];
}

export interface GateOptions {
  /** Accept the breaking changes of one event type, for a reason the lock records. */
  readonly accept?: { readonly type: string; readonly reason: string | undefined };
  /** The date an acceptance is recorded under, YYYY-MM-DD. @default today (UTC) */
  readonly today?: string;
}

export interface GateResult {
  readonly verdicts: readonly EventVerdict[];
  /** Breaking changes with readers, not accepted: the gate fails on them. */
  readonly blocking: readonly EventVerdict[];
  /** The baseline to commit: the current schemas, except where a change blocks. */
  readonly lock: SchemaLock;
}

/**
 * Compares each event of `topology` with `baseline` (the schemas last released; undefined before
 * the first) and returns each event's verdict and the next baseline. Throws `SchemaGateError`
 * when `options.accept` cannot be honoured.
 */
export function runGate(topology: ValidTopology, baseline: SchemaLock | undefined, options: GateOptions = {}): GateResult {
  const before = baseline ?? {};
  // A tombstone (an accepted removal) is kept for its record only: nothing is compared against it.
  const released = Object.fromEntries(Object.entries(before).filter(([, entry]) => !entry.removed));
  const current = new Map<string, ContextEvent>(topology.events.map((event) => [event.type, event]));
  const verdicts = [
    ...topology.events.map((event) => verdictOf(topology, event, released[event.type])),
    ...Object.entries(released)
      .filter(([type]) => !current.has(type))
      .map(([type, entry]) => removedVerdict(topology, type, entry)),
  ];
  const accepted = options.accept && acceptance(verdicts, options.accept);
  const judged = verdicts.map((verdict) => (verdict.type === accepted?.type ? { ...verdict, accepted: true } : verdict));

  const lock: Record<string, LockEntry> = {};
  for (const verdict of judged) {
    const entry = released[verdict.type];
    const event = current.get(verdict.type);
    if (verdict.breaking && !verdict.accepted) {
      // A blocked event keeps its released baseline: the lock never moves past an unaccepted break.
      if (entry) lock[verdict.type] = entry;
      continue;
    }
    const record = verdict.accepted ? [{ reason: accepted!.reason, changes: verdict.changes.filter((c) => c.breaking).map(changeText), date: options.today ?? new Date().toISOString().slice(0, 10) }] : [];
    // An event declared again after its removal was accepted keeps that record.
    const history = [...(before[verdict.type]?.accepted ?? []), ...record];
    if (event) lock[verdict.type] = { ...entryOf(topology, event), ...(history.length > 0 ? { accepted: history } : {}) };
    // An accepted removal leaves a tombstone, so its reason stays on record; an unread event just goes.
    else if (entry && verdict.accepted) lock[verdict.type] = { ...entry, removed: true, accepted: history };
  }
  for (const [type, entry] of Object.entries(before)) {
    if (entry.removed && !current.has(type)) lock[type] = entry;
  }
  return { verdicts: judged, blocking: judged.filter((v) => v.breaking && !v.accepted), lock };
}

function verdictOf(topology: ValidTopology, event: ContextEvent, released: LockEntry | undefined): EventVerdict {
  const now = entryOf(topology, event);
  const changes = released ? compareSchemas(released.schema, now.schema) : [];
  const readers = [...now.readers].sort(byTopologyOrder(topology));
  const readersThen = released?.readers ?? [];
  const allReaders = [...readers, ...readersThen.filter((group) => !readers.includes(group))];
  const unchanged = released && same(released.schema, now.schema) && released.version === now.version && released.dataschema === now.dataschema;
  const readersChanged = released !== undefined && !same(readersThen, now.readers);
  return {
    type: event.type,
    context: event.context,
    name: event.name,
    version: event.version,
    status: !released ? EventStatus.Added : unchanged && !readersChanged ? EventStatus.Unchanged : EventStatus.Changed,
    changes,
    readers: allReaders,
    readersChanged,
    breaking: allReaders.length > 0 && changes.some((change) => change.breaking),
    accepted: false,
    declaredIn: event.definedIn ?? topology.contexts.find((c) => c.name === event.context)?.definedIn,
    otherVersions: versionsOf(topology, event.context, event.name).filter((version) => version !== event.version),
  };
}

function removedVerdict(topology: ValidTopology, type: string, released: LockEntry): EventVerdict {
  const [context = type, name = type] = type.split(".");
  const siblings = topology.events.filter((event) => event.context === context && event.name === name);
  const others = siblings.map((event) => event.type);
  const hint = others.length > 0 ? ` (${others.join(", ")} ${others.length > 1 ? "are" : "is"} declared: was the version changed in place?)` : "";
  return {
    type,
    context,
    name,
    version: released.version,
    status: EventStatus.Removed,
    changes: [schemaChange(type, ChangeKind.EventRemoved, `event no longer declared${hint}`)],
    readers: released.readers,
    readersChanged: released.readers.length > 0,
    breaking: released.readers.length > 0,
    accepted: false,
    declaredIn: siblings[0]?.definedIn ?? topology.contexts.find((c) => c.name === context)?.definedIn,
    otherVersions: versionsOf(topology, context, name),
  };
}

/** The versions of one event declared in the topology, ascending. */
function versionsOf(topology: ValidTopology, context: string, name: string): number[] {
  return topology.events
    .filter((event) => event.context === context && event.name === name)
    .map((event) => event.version)
    .sort((a, b) => a - b);
}

function acceptance(verdicts: readonly EventVerdict[], accept: NonNullable<GateOptions["accept"]>): { type: string; reason: string } {
  const reason = accept.reason?.trim();
  if (!reason) {
    throw new SchemaGateError(`--accept ${accept.type} needs a reason: add --reason "<why no reader breaks>"; schemas.lock.json records it with the changes.`);
  }
  const verdict = verdicts.find((v) => v.type === accept.type);
  if (!verdict?.breaking) {
    const what = !verdict ? "is not an event of the topology or of the baseline" : verdict.changes.some((c) => c.breaking) ? "has breaking changes, but no group reads it, so it needs no acceptance" : "has no breaking change";
    throw new SchemaGateError(`--accept ${accept.type}: ${accept.type} ${what}. Fix: leave out --accept; run npm run validate to see what the gate blocks.`);
  }
  return { type: accept.type, reason };
}

/** Groups in the order the topology lists them: declared groups first, platform groups after. */
function byTopologyOrder(topology: ValidTopology): (a: string, b: string) => number {
  const order = new Map(topology.consumers.map((consumer, i) => [consumer.name, i]));
  return (a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity);
}
