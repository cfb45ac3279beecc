import { CONSUMER_DEFAULTS, type ConsumerDefinition } from "./consumer";
import type { ContextEvent } from "./event";
import { INVARIANTS_GROUP, INVARIANTS_HANDLER, type InvariantDefinition } from "./invariant";

/**
 * The consumer group that checks a topology's invariants: `invariants`, subscribed to every event
 * type an invariant reads. A group like any other (its own event source mappings, dead-letter
 * topic, idempotency table and alarms) whose handler the platform provides; it keeps each key's
 * events in a table of its own and reports violations to `invariants.violations`. undefined when
 * the topology declares no invariant.
 */
export function invariantsGroupOf(invariants: readonly InvariantDefinition[] | undefined): ConsumerDefinition | undefined {
  if (!invariants || invariants.length === 0) return undefined;
  const cached = groups.get(invariants);
  if (cached) return cached;
  const on: ContextEvent[] = [];
  for (const invariant of invariants) for (const event of invariant.reads) if (!on.some((e) => e.type === event.type)) on.push(event);
  const group: ConsumerDefinition = {
    kind: "consumer",
    name: INVARIANTS_GROUP,
    on,
    handler: INVARIANTS_HANDLER,
    description: `Checks the invariants ${invariants.map((i) => i.name).join(", ")} over the events they read; reports each violation once.`,
    batch: { size: 100, windowSeconds: 0 },
    scaling: { ...CONSUMER_DEFAULTS.scaling },
    retries: CONSUMER_DEFAULTS.retries,
    maxRecordAgeSeconds: CONSUMER_DEFAULTS.maxRecordAgeSeconds,
    bisectOnError: CONSUMER_DEFAULTS.bisectOnError,
    // Every event of a flow counts, those published before the group existed too.
    startingPosition: CONSUMER_DEFAULTS.startingPosition,
    startWorkflow: undefined,
    checks: invariants,
    definedIn: invariants[0]!.definedIn,
  };
  groups.set(invariants, group);
  return group;
}

const groups = new WeakMap<readonly InvariantDefinition[], ConsumerDefinition>();

/** The layout of the invariants table: one item per invariant and key, TTL on `expiresAt`, a sparse index of what is due. */
export const INVARIANT_TABLE_SCHEMA = {
  partitionKey: { name: "id", type: "S" },
  ttlAttribute: "expiresAt",
  dueIndex: { name: "due", partitionKey: { name: "dueShard", type: "S" }, sortKey: { name: "dueAt", type: "N" } },
} as const;

/** How many partitions the due index spreads pending keys over (a sweep queries each). */
export const DUE_SHARDS = 8;
