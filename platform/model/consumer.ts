import type { InvariantDefinition } from "./invariant";
import type { ContextDefinition } from "./context";
import type { ContextEvent, EventData } from "./event";
import { callerFile } from "./source";

export const StartingPosition = {
  /** Every event still retained on the topic: a new group misses nothing. */
  TrimHorizon: "TRIM_HORIZON",
  /** Only events published after the group is created. */
  Latest: "LATEST",
} as const;
export type StartingPosition = (typeof StartingPosition)[keyof typeof StartingPosition];

export interface ConsumerSpec<Name extends string, On extends readonly ContextEvent[]> {
  /** kebab-case, unique in the topology; names the group id, function and dead-letter topic. */
  readonly name: Name;
  /** The events this group receives: event objects, so a typo is a compile error. */
  readonly on: On;
  /**
   * The handler module, relative to the file that calls `defineConsumer`.
   * @default "./handler.ts"
   */
  readonly handler?: string;
  readonly description?: string;
  readonly batch?: {
    /**
     * Records per invocation (1–10000).
     * @default 100
     */
    readonly size?: number;
    /**
     * How long to gather records before invoking, in seconds (0–300).
     * @default 0
     */
    readonly windowSeconds?: number;
  };
  /** Provisioned pollers of the event source mapping. */
  readonly scaling?: {
    /** @default 1 */
    readonly minPollers?: number;
    /** @default 2 */
    readonly maxPollers?: number;
  };
  /**
   * Retries of a failing record before it goes to the group's dead-letter topic (-1 = forever).
   * @default 3
   */
  readonly retries?: number;
  /**
   * Records older than this go to the dead-letter topic unprocessed (-1 = no limit, else 60–604800 s).
   * @default -1
   */
  readonly maxRecordAgeSeconds?: number;
  /**
   * Split a failing batch in two and retry each half, to isolate the bad record.
   * @default true
   */
  readonly bisectOnError?: boolean;
  /**
   * Where a new group starts reading.
   * @default "TRIM_HORIZON"
   */
  readonly startingPosition?: StartingPosition;
  /**
   * The context whose workflow this group starts for each event (choreography starting
   * orchestration). Its handler maps the event to the execution input with `startsWorkflow()`.
   *
   * @example
   * startWorkflow: shipping
   */
  readonly startWorkflow?: ContextDefinition;
  /**
   * With `startWorkflow`: the events of that context the executions this group starts can reach,
   * when their input takes a path that publishes only some (a refund path, say). The start-loop
   * check follows only these; the local runtime fails an execution that publishes another.
   * @default every event of the started context
   * @example
   * startWorkflow: orders, reaches: [orders.events.OrderRefunded]
   */
  readonly reaches?: readonly ContextEvent[];
}

export interface ConsumerDefinition<Name extends string = string, On extends readonly ContextEvent[] = readonly ContextEvent[]> {
  readonly kind: "consumer";
  readonly name: Name;
  readonly on: On;
  readonly handler: string;
  readonly description: string | undefined;
  readonly batch: { readonly size: number; readonly windowSeconds: number };
  readonly scaling: { readonly minPollers: number; readonly maxPollers: number };
  readonly retries: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectOnError: boolean;
  readonly startingPosition: StartingPosition;
  /** The context whose state machine this group starts, if any. */
  readonly startWorkflow: ContextDefinition | undefined;
  /** The events of `startWorkflow` its executions can reach; undefined for all of them. */
  readonly reaches?: readonly ContextEvent[];
  /**
   * The context whose waiting executions this group completes: set on the correlator the model
   * makes for a context whose workflow has `waitFor` states (see `correlatorOf`), never by hand.
   */
  readonly correlates?: ContextDefinition;
  /** The invariants this group checks: set on the platform's `invariants` group (see `invariantsGroupOf`), never by hand. */
  readonly checks?: readonly InvariantDefinition[];
  /** The file that declared this consumer, for error messages and to resolve `handler`. */
  readonly definedIn: string | undefined;
}

export const CONSUMER_DEFAULTS = {
  handler: "./handler.ts",
  batch: { size: 100, windowSeconds: 0 },
  scaling: { minPollers: 1, maxPollers: 2 },
  retries: 3,
  maxRecordAgeSeconds: -1,
  bisectOnError: true,
  startingPosition: StartingPosition.TrimHorizon,
} as const;

/**
 * Declares a consumer group: one Lambda and one event source mapping on AWS.
 *
 * @example
 * export default defineConsumer({
 *   name: "notify-customer",
 *   on: [orders.events.OrderPlaced, orders.events.OrderRejected],
 *   batch: { size: 50 },
 *   scaling: { minPollers: 1, maxPollers: 4 },
 * });
 */
export function defineConsumer<const Name extends string, const On extends readonly ContextEvent[]>(
  spec: ConsumerSpec<Name, On>,
): ConsumerDefinition<Name, On> {
  return {
    kind: "consumer",
    name: spec.name,
    on: spec.on,
    handler: spec.handler ?? CONSUMER_DEFAULTS.handler,
    description: spec.description,
    batch: {
      size: spec.batch?.size ?? CONSUMER_DEFAULTS.batch.size,
      windowSeconds: spec.batch?.windowSeconds ?? CONSUMER_DEFAULTS.batch.windowSeconds,
    },
    scaling: {
      minPollers: spec.scaling?.minPollers ?? CONSUMER_DEFAULTS.scaling.minPollers,
      maxPollers: spec.scaling?.maxPollers ?? CONSUMER_DEFAULTS.scaling.maxPollers,
    },
    retries: spec.retries ?? CONSUMER_DEFAULTS.retries,
    maxRecordAgeSeconds: spec.maxRecordAgeSeconds ?? CONSUMER_DEFAULTS.maxRecordAgeSeconds,
    bisectOnError: spec.bisectOnError ?? CONSUMER_DEFAULTS.bisectOnError,
    startingPosition: spec.startingPosition ?? CONSUMER_DEFAULTS.startingPosition,
    startWorkflow: spec.startWorkflow,
    ...(spec.reaches ? { reaches: spec.reaches } : {}),
    definedIn: callerFile(),
  };
}

/**
 * The events a consumer's handler receives: a union discriminated by `type`, so
 * `if (event.type === "orders.OrderPlaced") event.data.orderId` type-checks.
 */
export type ConsumedEvent<C extends { readonly on: readonly ContextEvent[] }> = C["on"][number] extends infer E
  ? E extends ContextEvent
    ? { readonly type: E["type"]; readonly data: EventData<E> }
    : never
  : never;
