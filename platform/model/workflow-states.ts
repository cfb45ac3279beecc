import type { ContextEvent, EventDefinition } from "./event";
import { versionedEventName } from "./names";

/**
 * The states a workflow is written with. A context's workflow is ordinary Amazon States Language
 * (JSONPath), written with the small helpers below so the same definition is deployed by the
 * infra and executed by the local runtime. Task and milestone states call Lambda through `arn:aws:states:::lambda:invoke`; their
 * `FunctionName` is a placeholder each interpreter binds (infra: function ARNs; local: handlers).
 */

/** An ASL state, loosely typed: the helpers build the common ones, anything else is plain ASL. */
export type State = { readonly Type: string; readonly [field: string]: unknown };
export type States = Readonly<Record<string, State>>;

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const TASK_PREFIX = "ensemble:task:";
/** An event of the workflow's own context, before `defineContext` knows the context's name. */
export const OWN_EVENT_PREFIX = "ensemble:event:";
export const MILESTONE_FUNCTION = "ensemble:milestone";
/**
 * The field a Map's ItemSelector adds to each item's input when the iteration publishes
 * milestones: the item's index — in a nested Map, the index path of every enclosing Map, as
 * `"<outer>.<inner>"` — part of those events' ids. Iteration tasks keep it in the state.
 */
export const MAP_INDEX_FIELD = "mapIndex";

/**
 * What a milestone passes to the publisher from the context object, besides the execution id:
 * whether this is a retry or a redrive (so the publisher first looks for an earlier attempt's
 * record), when the state was entered (the event's time, the same on every retry) and when the
 * execution started (how far back a redriven publish looks).
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
 */
export const MILESTONE_CONTEXT_FIELDS = {
  "attempt.$": "$$.State.RetryCount",
  "enteredTime.$": "$$.State.EnteredTime",
  "redriveCount.$": "$$.Execution.RedriveCount",
  "executionStartTime.$": "$$.Execution.StartTime",
} as const;

/** The placeholder `FunctionName` of a task state, bound by each interpreter. */
export const taskFunction = (task: string) => `${TASK_PREFIX}${task}`;

/** The task a placeholder names, or undefined for anything else. */
export function taskOf(functionName: unknown): string | undefined {
  return typeof functionName === "string" && functionName.startsWith(TASK_PREFIX) ? functionName.slice(TASK_PREFIX.length) : undefined;
}

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: "FULL" | "NONE";
}

/** Retries for what fails transiently when Step Functions invokes Lambda. */
export const transient: readonly Retrier[] = [
  {
    ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: "FULL",
  },
];

interface Transition {
  /** The next state; leave out together with `end: true` for the last state. */
  readonly next?: string;
  readonly end?: true;
}

export interface CatchTo {
  /** Errors to catch. @default ["States.ALL"] */
  readonly errors?: readonly string[];
  /** The state to go to. */
  readonly to: string;
  /** Where the error goes in the state. @default "$.error" */
  readonly resultPath?: string;
}

export interface TaskOptions extends Transition {
  /** JSONPath of the task's input. @default "$" */
  readonly input?: string;
  readonly retry?: readonly Retrier[];
  readonly catch?: CatchTo | readonly CatchTo[];
  readonly timeoutSeconds?: number;
  readonly comment?: string;
}

/**
 * A Lambda task of this context. The handler receives the state (or `input`) and returns the new
 * state, so data flows through the workflow without ResultPath bookkeeping.
 *
 * @example
 * Reserve: task("ReserveStock", { next: "Charge", retry: transient, catch: { errors: ["OutOfStock"], to: "Rejected" } })
 */
export function task(name: string, options: TaskOptions): State {
  return {
    Type: "Task",
    ...(options.comment ? { Comment: options.comment } : {}),
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: taskFunction(name), "Payload.$": options.input ?? "$" },
    OutputPath: "$.Payload",
    ...(options.timeoutSeconds ? { TimeoutSeconds: options.timeoutSeconds } : {}),
    ...(options.retry ? { Retry: options.retry } : {}),
    ...catchers(options.catch),
    ...transition(options),
  };
}

export interface MilestoneOptions extends Transition {
  /** JSONPath of the entity id: the Kafka key and the event's subject. */
  readonly key: string;
  /** JSONPath of the event's data. @default "$" */
  readonly data?: string;
  /**
   * JSONPath of a value that differs on every pass of a loop through this state (an attempt
   * counter, a revision): part of the event id, so each pass publishes its own event. Required
   * for a milestone that one execution can enter more than once; `validate()` says when.
   * @example
   * Reminded: milestone(PaymentReminded, { key: "$.orderId", occurrence: "$.reminder", next: "Wait" })
   */
  readonly occurrence?: string;
  /** Catch what publishing cannot fix (e.g. `Milestone.InvalidEvent`). */
  readonly catch?: CatchTo | readonly CatchTo[];
}

/**
 * Retries of a milestone, each with the same event id: the publisher's own `PublishFailed`, and
 * whatever AWS reports when the publisher's Lambda is throttled, fails in the service, crashes or
 * times out. A timeout is `Lambda.Unknown` per the Step Functions guide ("unhandled errors ...
 * include out-of-memory errors and function timeouts"); functions on current runtimes report it
 * as `Sandbox.Timedout`, so both are covered, as is the task's own `States.Timeout`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const milestoneRetry: readonly Retrier[] = [
  {
    ErrorEquals: [
      "Milestone.PublishFailed",
      ...transient[0]!.ErrorEquals,
      "Lambda.ClientExecutionTimeoutException",
      "Lambda.Unknown",
      "Sandbox.Timedout",
      "States.Timeout",
    ],
    IntervalSeconds: 1,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 30,
    JitterStrategy: "FULL",
  },
];

/**
 * A milestone: publishes `event` to the context's topic and passes the state on unchanged.
 * `defineWorkflow` writes the state's own name into the payload (and, inside a Map, the item's
 * index, which the Map's ItemSelector adds as `mapIndex`), which makes the event id deterministic.
 *
 * @example
 * Placed: milestone(OrderPlaced, { key: "$.orderId", next: "Done" })
 */
export function milestone(event: EventDefinition | ContextEvent, options: MilestoneOptions): State {
  const type = "type" in event ? event.type : `${OWN_EVENT_PREFIX}${versionedEventName(event.name, event.version)}`;
  return {
    Type: "Task",
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: MILESTONE_FUNCTION,
      Payload: {
        type,
        "key.$": options.key,
        "data.$": options.data ?? "$",
        "executionId.$": "$$.Execution.Id",
        ...(options.occurrence ? { "occurrence.$": options.occurrence } : {}),
        ...MILESTONE_CONTEXT_FIELDS,
      },
    },
    ResultPath: null,
    Retry: milestoneRetry,
    ...catchers(options.catch),
    ...transition(options),
  };
}

export const succeed = (): State => ({ Type: "Succeed" });
export const fail = (error: string, cause: string): State => ({ Type: "Fail", Error: error, Cause: cause });

export function catchers(catchTo: CatchTo | readonly CatchTo[] | undefined) {
  if (!catchTo) return {};
  const list = Array.isArray(catchTo) ? (catchTo as readonly CatchTo[]) : [catchTo as CatchTo];
  return {
    Catch: list.map((c) => ({ ErrorEquals: c.errors ?? ["States.ALL"], Next: c.to, ResultPath: c.resultPath ?? "$.error" })),
  };
}

function transition(options: Transition) {
  return options.end ? { End: true } : options.next ? { Next: options.next } : {};
}
