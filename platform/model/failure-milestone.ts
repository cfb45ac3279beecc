import type { EventData, EventDefinition } from "./event";
import { names, versionedEventName } from "./names";
import type { MilestoneState, WorkflowDefinition, WorkflowSpec } from "./workflow";
import { LAMBDA_INVOKE, MILESTONE_CONTEXT_FIELDS, MILESTONE_FUNCTION, milestoneRetry, OWN_EVENT_PREFIX, type State, type States } from "./workflow-states";

/**
 * Where a field of a failure event comes from: the execution's input (`$.input.<field>…`), the
 * error that failed it (`$.error`) or the cause (`$.cause`).
 */
export type FailurePath = "$.error" | "$.cause" | `$.input.${string}`;

export interface FailureSpec<E extends EventDefinition> {
  /** The event's key (Kafka key and subject): a path into the execution's input, e.g. `"$.input.orderId"`. */
  readonly key: `$.input.${string}`;
  /** Each field of the event's data (top-level fields only) and where it comes from. */
  readonly data: { readonly [Field in keyof EventData<E>]: FailurePath };
}

/** A context's failure milestone: the event it publishes, once, whenever one of its executions fails. */
export interface FailureMilestone {
  readonly event: EventDefinition;
  readonly key: string;
  readonly data: Readonly<Record<string, string>>;
}

/**
 * The `state` a failure milestone's event id is made from, whichever path publishes it (a `Fail`
 * state of the workflow, or the backstop for an execution that failed any other way): one
 * failure event per execution, the same id from both, so consumers see it once.
 */
export const FAILURE_STATE = "ensemble:failed";

/** EventBridge's `detail-type` for a Step Functions execution that changed status (the backstop's trigger). */
export const EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change";
/** The statuses that end an execution without success: each publishes the context's failure milestone. */
export const FAILED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/**
 * What the scheduled reconciliation invokes a context's publisher with: it lists the state
 * machine's recently failed executions and publishes the failure milestone of any whose event is
 * not on the topic. Step Functions sends status changes to EventBridge best effort
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), so the backstop
 * alone could miss one.
 */
export const RECONCILE_FAILURES_INPUT = { ensemble: "reconcile-failures" } as const;
/** How often the reconciliation runs, and how far back (by stop time) it looks: three runs overlap. */
export const RECONCILE_EVERY_MINUTES = 5;
export const RECONCILE_LOOKBACK_SECONDS = 3 * RECONCILE_EVERY_MINUTES * 60;
/**
 * How far back, by start time, it lists failed executions: the longest one execution of the
 * context may run, its workflow's `TimeoutSeconds`, else a year (a standard workflow's limit).
 */
export const longestExecutionSeconds = (workflow: { asl: { TimeoutSeconds?: number } } | undefined) => workflow?.asl.TimeoutSeconds ?? 365 * 86_400;

/** The state the platform puts before each top-level `Fail` state `name` to publish the failure milestone. */
export const announceState = (failState: string) => `Announce${failState}`;

/**
 * Declares the event a context publishes when its work for a key cannot complete, built from the
 * execution's input and the error. The platform publishes it from every `Fail` state of the
 * workflow (so from every `Catch` path that ends in one), and, for an execution that fails any
 * other way (an uncaught error, a timeout, an abort, a publish that gave up), from the execution's
 * status change (EventBridge on AWS, best effort there, so also by a reconciliation every few
 * minutes; the state machine's end locally): published whenever the workflow fails, and one
 * event per failed execution.
 *
 * @example
 * failure: onFailure(InvoiceFailed, {
 *   key: "$.input.orderId",
 *   data: { orderId: "$.input.orderId", reason: "$.error", detail: "$.cause" },
 * }),
 */
export function onFailure<E extends EventDefinition>(event: E, spec: FailureSpec<E>): FailureMilestone {
  return { event, key: spec.key, data: spec.data as Readonly<Record<string, string>> };
}

/** `$.input.a.b` as Step Functions reads it from the context object: `$$.Execution.Input.a.b`. */
const fromExecutionInput = (path: string) => `$$.Execution.Input${path.slice("$.input".length)}`;

/**
 * The workflow with a failure milestone before each top-level `Fail` state: every transition to
 * the Fail state goes through `Announce<Fail>` first, which publishes the event with the Fail
 * state's error and cause (its `ErrorPath` and `CausePath` when it has them).
 */
export function withFailureMilestones(workflow: WorkflowDefinition, failure: FailureMilestone, context: string): WorkflowDefinition {
  const type = `${OWN_EVENT_PREFIX}${versionedEventName(failure.event.name, failure.event.version)}`;
  const states = workflow.asl.States;
  const failStates = Object.entries(states).filter(([, state]) => state.Type === "Fail");
  if (failStates.length === 0) return workflow;
  const redirect = new Map(failStates.map(([name]) => [name, announceState(name)]));
  const to = (target: unknown) => (typeof target === "string" ? (redirect.get(target) ?? target) : target);
  const rewritten: Record<string, State> = {};
  for (const [name, state] of Object.entries(states)) {
    rewritten[name] = retarget(state, to);
    if (state.Type === "Fail") rewritten[announceState(name)] = announce(name, state, failure, type);
  }
  const milestones: MilestoneState[] = failStates.map(([name]) => ({
    state: announceState(name),
    eventType: names.eventType(context, failure.event.name, failure.event.version),
    inMap: false,
    occurrence: undefined,
    loop: [],
  }));
  const asl: WorkflowSpec = { ...workflow.asl, StartAt: String(to(workflow.asl.StartAt)), States: rewritten };
  return {
    ...workflow,
    asl,
    milestones: [...workflow.milestones, ...milestones],
    stateNames: [...workflow.stateNames, ...milestones.map((m) => m.state)],
  };
}

function retarget(state: State, to: (target: unknown) => unknown): State {
  const next: Record<string, unknown> = { ...state };
  if (state.Next !== undefined) next.Next = to(state.Next);
  if (state.Default !== undefined) next.Default = to(state.Default);
  if (Array.isArray(state.Choices)) next.Choices = state.Choices.map((c: Record<string, unknown>) => ({ ...c, Next: to(c.Next) }));
  if (Array.isArray(state.Catch)) next.Catch = state.Catch.map((c: Record<string, unknown>) => ({ ...c, Next: to(c.Next) }));
  return next as State;
}

function announce(failState: string, fail: State, failure: FailureMilestone, type: string): State {
  const data: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(failure.data)) {
    if (path === "$.error") {
      if (typeof fail.ErrorPath === "string") data[`${field}.$`] = fail.ErrorPath;
      else data[field] = fail.Error ?? "States.Fail";
    } else if (path === "$.cause") {
      if (typeof fail.CausePath === "string") data[`${field}.$`] = fail.CausePath;
      else data[field] = fail.Cause ?? "";
    } else data[`${field}.$`] = fromExecutionInput(path);
  }
  return {
    Type: "Task",
    Comment: `Publishes the context's failure milestone before the execution fails in ${failState}.`,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: MILESTONE_FUNCTION,
      Payload: {
        type,
        "key.$": fromExecutionInput(failure.key),
        data,
        "executionId.$": "$$.Execution.Id",
        state: FAILURE_STATE,
        ...MILESTONE_CONTEXT_FIELDS,
      },
    },
    ResultPath: null,
    Retry: milestoneRetry,
    Next: failState,
  };
}

/** Top-level `Fail` states of a workflow, which the failure milestone announces. */
export function failStatesOf(states: States): string[] {
  return Object.entries(states)
    .filter(([, state]) => state.Type === "Fail")
    .map(([name]) => name);
}
