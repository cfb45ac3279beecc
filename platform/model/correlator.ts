import type { ConsumerDefinition } from "./consumer";
import { CONSUMER_DEFAULTS } from "./consumer";
import type { ContextDefinition } from "./context";
import type { ContextEvent } from "./event";
import type { WaitState } from "./workflow";

/**
 * The consumer group that completes a context's waits (`waitFor` states): `<context>-correlator`,
 * subscribed to every event type the context's workflow awaits. It is a group like any other (its
 * own event source mapping, dead-letter topic, idempotency table and alarms) whose handler the
 * platform provides; its function also registers each wait, which the state machine invokes with
 * the task token. undefined for a context that waits for nothing.
 */
export function correlatorOf(context: ContextDefinition): ConsumerDefinition | undefined {
  const cached = correlators.get(context);
  if (cached !== undefined || correlators.has(context)) return cached;
  const waits = context.workflow?.waits ?? [];
  const on: ContextEvent[] = [];
  for (const wait of waits) if (wait.event && !on.includes(wait.event)) on.push(wait.event);
  const correlator: ConsumerDefinition | undefined =
    waits.length === 0
      ? undefined
      : {
          kind: "consumer",
          name: correlatorName(context.name),
          on,
          handler: CORRELATOR_HANDLER,
          description: `Completes the waits of context "${context.name}" (${waits.map((w) => w.state).join(", ")}) when the event each awaits arrives.`,
          // Small batches: each record is a DynamoDB update and at most a few SendTaskSuccess calls.
          batch: { size: 10, windowSeconds: 0 },
          scaling: { ...CONSUMER_DEFAULTS.scaling },
          retries: CONSUMER_DEFAULTS.retries,
          maxRecordAgeSeconds: CONSUMER_DEFAULTS.maxRecordAgeSeconds,
          bisectOnError: CONSUMER_DEFAULTS.bisectOnError,
          // An awaited event may come before the group exists (a new wait on an old flow): read all.
          startingPosition: CONSUMER_DEFAULTS.startingPosition,
          startWorkflow: undefined,
          correlates: context,
          definedIn: context.definedIn,
        };
  correlators.set(context, correlator);
  return correlator;
}

/** The correlator group's name: `<context>-correlator`. */
export const correlatorName = (context: string) => `${context}-correlator`;

/** The `handler` of a correlator: the platform's, bound to its context when bundled or loaded. */
export const CORRELATOR_HANDLER = "ensemble:correlator";

/**
 * How long the correlator keeps an event of one awaited type that came first (from the event's
 * time) and a slot's item (from its last write): the longest wait for that type, so an early event
 * waits as long as any wait would and a registered wait outlives its own timeout.
 */
export function keepSecondsOf(waits: readonly WaitState[], eventType: string): number {
  return Math.max(0, ...waits.filter((w) => w.eventType === eventType).map((w) => w.timeoutSeconds));
}

const correlators = new WeakMap<ContextDefinition, ConsumerDefinition | undefined>();

/** The layout of a correlator's table (see `DynamoDbWaitStore`): one item per slot, TTL on `expiresAt`. */
export const WAIT_TABLE_SCHEMA = { partitionKey: { name: "id", type: "S" }, ttlAttribute: "expiresAt" } as const;
