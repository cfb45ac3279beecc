import { ModelError } from "./errors";
import type { ContextEvent, EventDefinition } from "./event";
import { names } from "./names";
import { type CatchTo, catchers, type Retrier, type State, transient } from "./workflow-states";

/**
 * The callback pattern: Step Functions invokes the function with a task token (`$$.Task.Token`)
 * and the state waits until something calls SendTaskSuccess or SendTaskFailure with it, or until
 * `TimeoutSeconds`, when the state fails with `States.Timeout`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";
/** The placeholder `FunctionName` of a wait: the context's correlator, bound by each interpreter. */
export const WAIT_FUNCTION = "ensemble:wait";

/**
 * The error a wait fails with when no matching event came within its `timeoutSeconds`: Step
 * Functions' own for a task past its `TimeoutSeconds`. Catch it to take another path.
 * @example
 * catch: { errors: [WAIT_TIMED_OUT], to: "InvoiceByHand" }
 */
export const WAIT_TIMED_OUT = "States.Timeout";

/**
 * The error a wait fails with when the awaited event's data cannot be handed to the execution:
 * larger than SendTaskSuccess takes (256 KB of output).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
export const WAIT_EVENT_TOO_LARGE = "Ensemble.AwaitedEventTooLarge";

/** The error of a registration the correlator could not store or answer (a DynamoDB or Step Functions fault): retried by the wait state. */
export const WAIT_REGISTRATION_FAILED = "Ensemble.WaitRegistrationFailed";

/** The longest a wait can last: Step Functions' limit on a standard execution, one year. */
export const WAIT_MAX_TIMEOUT_SECONDS = 31_536_000;

/** A JSONPath the correlator evaluates itself: `$` and dot-separated field names, nothing else. */
export const SIMPLE_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** The value at a simple path (see {@link SIMPLE_PATH}), or undefined where it leads nowhere. */
export function valueAt(document: unknown, simplePath: string): unknown {
  let at = document;
  for (const field of simplePath.split(".").slice(1)) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[field];
  }
  return at;
}

interface Transition {
  readonly next?: string;
  readonly end?: true;
}

export interface WaitForOptions extends Transition {
  /**
   * The context that publishes the event, when `event` is given as its definition from that
   * context's events.ts rather than as `<context>.events.<Event>`: importing only events.ts keeps
   * the other context's tasks out of this context's bundles.
   * @example
   * waitFor(ShipmentDispatched, { from: "shipping", key: "$.orderId", timeoutSeconds: 3600, next: "Issue" })
   */
  readonly from?: string;
  /**
   * How the event and this execution correlate: the value at `event` (a JSONPath into the event's
   * data) must equal the value at `state` (a JSONPath into this execution's state). A single
   * path is used on both sides. Simple paths only: `$.orderId`, `$.order.id`.
   * @example
   * key: "$.orderId"
   * @example
   * key: { event: "$.orderId", state: "$.order.id" }
   */
  readonly key: string | { readonly event: string; readonly state: string };
  /** How long to wait, at most; then the state fails with {@link WAIT_TIMED_OUT}. */
  readonly timeoutSeconds: number;
  /**
   * Where the event's data goes in the state. @default "$.<event name in camelCase>", e.g. `$.shipmentDispatched`
   */
  readonly resultPath?: string;
  /** Catch a timeout (`WAIT_TIMED_OUT`) or anything else the wait can fail with. */
  readonly catch?: CatchTo | readonly CatchTo[];
  readonly comment?: string;
}

/**
 * Retries of the registration: what Lambda reports when the correlator's invocation fails, and
 * the correlator's own fault. Each attempt gets a new task token; the old one's waiter is answered
 * "gone" later and forgotten.
 */
const waitRetry: readonly Retrier[] = [
  // The correlator's reserved concurrency is shared with its pollers: a burst of registrations can be throttled for a while.
  { ...transient[0]!, ErrorEquals: [...transient[0]!.ErrorEquals, WAIT_REGISTRATION_FAILED], MaxAttempts: 6, MaxDelaySeconds: 30 },
];

/**
 * A state that pauses the execution until `event` (another context's) arrives with the same
 * correlation key, then continues with the event's data at `resultPath`. On AWS it is a
 * `.waitForTaskToken` task that registers its token with the context's correlator, a consumer
 * group of its own; the correlator keeps an event that arrives first, so order does not matter.
 *
 * @example
 * AwaitDispatch: waitFor(shipping.events.ShipmentDispatched, { key: "$.orderId", timeoutSeconds: 86_400, next: "Issue" })
 */
export function waitFor(awaitedEvent: ContextEvent | EventDefinition, options: WaitForOptions): State {
  const event = boundTo(awaitedEvent, options.from);
  const key = typeof options.key === "string" ? { event: options.key, state: options.key } : options.key;
  const state: State = {
    Type: "Task",
    ...(options.comment ? { Comment: options.comment } : {}),
    Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
    Parameters: {
      FunctionName: WAIT_FUNCTION,
      Payload: {
        type: event.type,
        eventKey: key.event,
        "key.$": key.state,
        timeoutSeconds: options.timeoutSeconds,
        "taskToken.$": "$$.Task.Token",
        "executionId.$": "$$.Execution.Id",
      },
    },
    TimeoutSeconds: options.timeoutSeconds,
    ResultPath: options.resultPath ?? `$.${event.name.charAt(0).toLowerCase()}${event.name.slice(1)}`,
    Retry: waitRetry,
    ...catchers(options.catch),
    ...(options.end ? { End: true } : options.next ? { Next: options.next } : {}),
  };
  awaited.set(state, event);
  return state;
}

function boundTo(event: ContextEvent | EventDefinition, from: string | undefined): ContextEvent {
  if ("type" in event && (from === undefined || event.context === from)) return event;
  if (from === undefined) {
    throw new ModelError(`waitFor(${event.name}): say which context publishes it, with { from: "<context>" }, or pass <context>.events.${event.name}.`);
  }
  return { ...event, context: from, type: names.eventType(from, event.name, event.version) as ContextEvent["type"] };
}

/** The event each `waitFor` state awaits: the ASL carries only its type, the correlator needs its schema. */
const awaited = new WeakMap<State, ContextEvent>();

/** The event a state made by `waitFor` awaits; undefined for any other state. */
export const awaitedEventOf = (state: State): ContextEvent | undefined => awaited.get(state);

/** What the registration payload of a wait state carries, as the correlator receives it. */
export interface WaitRegistration {
  readonly type: string;
  readonly eventKey: string;
  /** The execution's value at the state key. */
  readonly key: unknown;
  readonly timeoutSeconds: number;
  readonly taskToken: string;
  readonly executionId: string;
  /** The wait state's name, written in by `defineWorkflow`. */
  readonly state: string;
  /** Locally only: the execution's trace header, which on AWS comes as `_X_AMZN_TRACE_ID`. */
  readonly traceHeader?: string;
}
