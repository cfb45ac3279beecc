import type { ContextEvent, EventDefinition } from "./event";

/**
 * A context's workflow is ordinary Amazon States Language (JSONPath), written with the small
 * helpers below so the same definition is deployed by the infra and executed by the local
 * runtime. Task and milestone states call Lambda through `arn:aws:states:::lambda:invoke`; their
 * `FunctionName` is a placeholder each interpreter binds (infra: function ARNs; local: handlers).
 */

/** An ASL state, loosely typed: the helpers build the common ones, anything else is plain ASL. */
export type State = { readonly Type: string; readonly [field: string]: unknown };
export type States = Readonly<Record<string, State>>;

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const TASK_PREFIX = "ensemble:task:";
/** An event of the workflow's own context, before `defineContext` knows the context's name. */
const OWN_EVENT_PREFIX = "ensemble:event:";
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
  const type = "type" in event ? event.type : `${OWN_EVENT_PREFIX}${event.name}`;
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

function catchers(catchTo: CatchTo | readonly CatchTo[] | undefined) {
  if (!catchTo) return {};
  const list = Array.isArray(catchTo) ? (catchTo as readonly CatchTo[]) : [catchTo as CatchTo];
  return {
    Catch: list.map((c) => ({ ErrorEquals: c.errors ?? ["States.ALL"], Next: c.to, ResultPath: c.resultPath ?? "$.error" })),
  };
}

function transition(options: Transition) {
  return options.end ? { End: true } : options.next ? { Next: options.next } : {};
}

export interface WorkflowSpec {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: States;
  readonly TimeoutSeconds?: number;
}

export interface MilestoneState {
  /** The state's name, unique in the state machine. */
  readonly state: string;
  readonly eventType: string;
  /** Inside a Map iteration: the event id includes the item index. */
  readonly inMap: boolean;
  /** JSONPath of the value that tells a loop's passes apart, when the milestone has one. */
  readonly occurrence: string | undefined;
  /**
   * The loop that can bring one execution (one Map item) to this state more than once, as the
   * states on it (the milestone's own, or that of an enclosing Map or Parallel); empty when there is none.
   */
  readonly loop: readonly string[];
}

export interface WorkflowDefinition {
  readonly kind: "workflow";
  /** The ASL with placeholders; bind it with `bindWorkflow` before deploying or running. */
  readonly asl: WorkflowSpec;
  /** Names of the tasks the states call, in first-use order. */
  readonly tasks: readonly string[];
  readonly milestones: readonly MilestoneState[];
  /** Every state name, nested ones included, for the uniqueness check. */
  readonly stateNames: readonly string[];
  /** Map states whose iteration reaches a milestone but that have no ItemSelector to pass the index. */
  readonly mapsWithoutSelector: readonly string[];
}

/**
 * Declares a context's workflow. Walks every state, nested Map and Parallel states included, to
 * write each milestone's own state name into its payload and, for milestones inside a Map, to
 * pass the item index (`$$.Map.Item.Index`, which only the Map's ItemSelector can read) through
 * the item's input as `mapIndex`; records the tasks and milestones for `validate()`.
 *
 * @example
 * export default defineWorkflow({
 *   StartAt: "Reserve",
 *   States: {
 *     Reserve: task("ReserveStock", { next: "Placed", retry: transient }),
 *     Placed: milestone(OrderPlaced, { key: "$.orderId", end: true }),
 *   },
 * });
 */
export function defineWorkflow(spec: WorkflowSpec): WorkflowDefinition {
  const tasks: string[] = [];
  const milestones: MilestoneState[] = [];
  const stateNames: string[] = [];

  const mapsWithoutSelector: string[] = [];

  /** `mapDepth`: Maps around this scope; `around`: a loop that re-enters the scope, if any. */
  const visit = (states: States, mapDepth: number, around: readonly string[]): States => {
    const loops = loopsOf(states);
    return Object.fromEntries(
      Object.entries(states).map(([name, state]) => {
        stateNames.push(name);
        return [name, visitState(name, state, mapDepth, loops.get(name) ?? around)];
      }),
    );
  };

  const visitState = (name: string, state: State, mapDepth: number, loop: readonly string[]): State => {
    const parameters = state.Parameters as { FunctionName?: unknown; Payload?: Record<string, unknown> } | undefined;
    const taskName = taskOf(parameters?.FunctionName);
    if (taskName && !tasks.includes(taskName)) tasks.push(taskName);
    if (parameters?.FunctionName === MILESTONE_FUNCTION && parameters.Payload) {
      const occurrence = parameters.Payload["occurrence.$"];
      milestones.push({ state: name, eventType: String(parameters.Payload.type), inMap: mapDepth > 0, occurrence: typeof occurrence === "string" ? occurrence : undefined, loop });
      const payload = { ...parameters.Payload, state: name, ...(mapDepth > 0 ? { "mapIndex.$": `$.${MAP_INDEX_FIELD}` } : {}) };
      return { ...state, Parameters: { ...parameters, Payload: payload } };
    }
    if (state.Type === "Map") return visitMap(name, state, mapDepth, loop);
    if (state.Type === "Parallel") {
      const branches = (state.Branches ?? []) as { States: States }[];
      return { ...state, Branches: branches.map((branch) => ({ ...branch, States: visit(branch.States, mapDepth, loop) })) };
    }
    return state;
  };

  // Step Functions offers `$$.Map.Item.Index` only in the Map's ItemSelector, not inside the
  // iteration: so a Map whose iteration reaches milestones passes the index in each item's input,
  // and a nested Map appends its own to the index path its item came with.
  const visitMap = (name: string, state: State, mapDepth: number, loop: readonly string[]): State => {
    const key = state.ItemProcessor ? "ItemProcessor" : "Iterator";
    const processor = state[key] as { States: States } | undefined;
    if (!processor) return state;
    const before = milestones.length;
    const visited = { ...processor, States: visit(processor.States, mapDepth + 1, loop) };
    if (milestones.length === before) return { ...state, [key]: visited };
    const selectorKey = state.ItemSelector !== undefined || state.Parameters === undefined ? "ItemSelector" : "Parameters";
    const selector = state[selectorKey];
    if (typeof selector !== "object" || selector === null) {
      mapsWithoutSelector.push(name);
      return { ...state, [key]: visited };
    }
    const index = mapDepth === 0 ? "$$.Map.Item.Index" : `States.Format('{}.{}', $.${MAP_INDEX_FIELD}, $$.Map.Item.Index)`;
    return { ...state, [key]: visited, [selectorKey]: { ...selector, [`${MAP_INDEX_FIELD}.$`]: index } };
  };

  const States = visit(spec.States, 0, []);
  return { kind: "workflow", asl: { ...spec, States }, tasks, milestones, stateNames, mapsWithoutSelector };
}

/** Where a state can go next: `Next`, `Default`, each choice's and each catcher's `Next`. */
function successorsOf(state: State): string[] {
  const choices = ((state.Choices as { Next?: unknown }[] | undefined) ?? []).map((c) => c.Next);
  const catchers = ((state.Catch as { Next?: unknown }[] | undefined) ?? []).map((c) => c.Next);
  return [state.Next, state.Default, ...choices, ...catchers].filter((next): next is string => typeof next === "string");
}

/**
 * The states of one scope that lie on a loop, each with one such loop (its states, in order, from
 * the state itself): a state one execution can enter more than once.
 */
export function loopsOf(states: States): Map<string, string[]> {
  const loops = new Map<string, string[]>();
  for (const start of Object.keys(states)) {
    // Breadth-first from the state's successors back to it: the shortest loop through it.
    const previous = new Map<string, string>();
    const queue = successorsOf(states[start]!).filter((next) => next in states);
    for (const next of queue) if (!previous.has(next)) previous.set(next, start);
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (current === start) {
        const path = [start];
        for (let at = previous.get(start)!; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        loops.set(start, path);
        break;
      }
      for (const next of successorsOf(states[current]!)) {
        if (next in states && !previous.has(next)) {
          previous.set(next, current);
          queue.push(next);
        }
      }
    }
  }
  return loops;
}

/**
 * The workflow of context `context`: milestones of its own events (given as the unbound event
 * definitions from `events.ts`) get their full type `<context>.<Event>`. Called by
 * `defineContext`, which is the first to know the context's name.
 */
export function ownEvents(workflow: WorkflowDefinition, context: string): WorkflowDefinition {
  const full = (type: string) => (type.startsWith(OWN_EVENT_PREFIX) ? `${context}.${type.slice(OWN_EVENT_PREFIX.length)}` : type);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== "object") return value;
    const object = value as Record<string, unknown>;
    if (object.FunctionName === MILESTONE_FUNCTION && object.Payload && typeof object.Payload === "object") {
      const payload = object.Payload as Record<string, unknown>;
      return { ...object, Payload: { ...payload, type: full(String(payload.type)) } };
    }
    return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, rewrite(child)]));
  };
  return {
    ...workflow,
    asl: rewrite(workflow.asl) as WorkflowSpec,
    milestones: workflow.milestones.map((m) => ({ ...m, eventType: full(m.eventType) })),
  };
}

export interface WorkflowBindings {
  /** The `FunctionName` of a task: a Lambda ARN on AWS, anything the local runtime recognises. */
  readonly task: (name: string) => string;
  readonly milestone: string;
  /**
   * `TimeoutSeconds` of milestone states: longer than the publisher's own timeout, so it only
   * bounds an invocation whose answer never comes back (then `States.Timeout`, retried).
   * @default none
   */
  readonly milestoneTimeoutSeconds?: number;
}

/** The ASL with every placeholder `FunctionName` replaced, as the interpreter needs it. */
export function bindWorkflow(workflow: WorkflowDefinition, bindings: WorkflowBindings): WorkflowSpec {
  const bind = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(bind);
    if (value === null || typeof value !== "object") return value;
    const isMilestone = (value as { Parameters?: { FunctionName?: unknown } }).Parameters?.FunctionName === MILESTONE_FUNCTION;
    if (isMilestone && bindings.milestoneTimeoutSeconds !== undefined) value = { ...value, TimeoutSeconds: bindings.milestoneTimeoutSeconds };
    return Object.fromEntries(
      Object.entries(value as object).map(([key, child]) => {
        if (key !== "FunctionName") return [key, bind(child)];
        const taskName = taskOf(child);
        if (taskName) return [key, bindings.task(taskName)];
        return [key, child === MILESTONE_FUNCTION ? bindings.milestone : child];
      }),
    );
  };
  return bind(workflow.asl) as WorkflowSpec;
}

/**
 * Transitions that go nowhere: a `StartAt`, `Next`, `Default` or `Catch` naming a state that is not
 * in its scope (the top level, a Map's processor or a Parallel branch), and states nothing
 * leads to. Names are checked per scope, as Step Functions does.
 */
export function transitionProblems(spec: WorkflowSpec): string[] {
  const problems: string[] = [];
  const scope = (label: string, startAt: string, states: States) => {
    const names = new Set(Object.keys(states));
    const reached = new Set<string>([startAt]);
    if (!names.has(startAt)) problems.push(`${label}StartAt "${startAt}" is not a state${label ? "" : " of the workflow"}`);
    for (const [name, state] of Object.entries(states)) {
      const targets: [string, unknown][] = [
        ["Next", state.Next],
        ["Default", state.Default],
        ...((state.Choices as { Next?: unknown }[] | undefined) ?? []).map((c): [string, unknown] => ["Choices[].Next", c.Next]),
        ...((state.Catch as { Next?: unknown }[] | undefined) ?? []).map((c): [string, unknown] => ["Catch[].Next", c.Next]),
      ];
      for (const [field, target] of targets) {
        if (target === undefined) continue;
        reached.add(String(target));
        if (!names.has(String(target))) problems.push(`${label}state "${name}": ${field} "${String(target)}" is not a state in its scope`);
      }
      if (state.Type === "Map") {
        const processor = (state.ItemProcessor ?? state.Iterator) as WorkflowSpec | undefined;
        if (processor) scope(`${label}Map "${name}": `, processor.StartAt, processor.States);
      }
      if (state.Type === "Parallel") {
        ((state.Branches ?? []) as WorkflowSpec[]).forEach((branch, i) => scope(`${label}Parallel "${name}" branch ${i}: `, branch.StartAt, branch.States));
      }
    }
    for (const name of names) if (!reached.has(name)) problems.push(`${label}state "${name}" is never reached`);
  };
  scope("", spec.StartAt, spec.States);
  return problems;
}
