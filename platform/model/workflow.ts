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
 * milestones: the item's index, part of those events' ids. Iteration tasks keep it in the state.
 */
export const MAP_INDEX_FIELD = "mapIndex";

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
  /** Catch what publishing cannot fix (e.g. `Milestone.InvalidEvent`). */
  readonly catch?: CatchTo | readonly CatchTo[];
}

/** Retries of a milestone: a broker hiccup or a Lambda glitch, with the same event id each time. */
export const milestoneRetry: readonly Retrier[] = [
  {
    ErrorEquals: ["Milestone.PublishFailed", ...transient[0]!.ErrorEquals],
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

  const visit = (states: States, inMap: boolean): States =>
    Object.fromEntries(
      Object.entries(states).map(([name, state]) => {
        stateNames.push(name);
        return [name, visitState(name, state, inMap)];
      }),
    );

  const visitState = (name: string, state: State, inMap: boolean): State => {
    const parameters = state.Parameters as { FunctionName?: unknown; Payload?: Record<string, unknown> } | undefined;
    const taskName = taskOf(parameters?.FunctionName);
    if (taskName && !tasks.includes(taskName)) tasks.push(taskName);
    if (parameters?.FunctionName === MILESTONE_FUNCTION && parameters.Payload) {
      milestones.push({ state: name, eventType: String(parameters.Payload.type), inMap });
      const payload = { ...parameters.Payload, state: name, ...(inMap ? { "mapIndex.$": `$.${MAP_INDEX_FIELD}` } : {}) };
      return { ...state, Parameters: { ...parameters, Payload: payload } };
    }
    if (state.Type === "Map") return visitMap(name, state);
    if (state.Type === "Parallel") {
      const branches = (state.Branches ?? []) as { States: States }[];
      return { ...state, Branches: branches.map((branch) => ({ ...branch, States: visit(branch.States, inMap) })) };
    }
    return state;
  };

  // Step Functions offers `$$.Map.Item.Index` only in the Map's ItemSelector, not inside the
  // iteration: so a Map whose iteration reaches milestones passes the index in each item's input.
  const visitMap = (name: string, state: State): State => {
    const key = state.ItemProcessor ? "ItemProcessor" : "Iterator";
    const processor = state[key] as { States: States } | undefined;
    if (!processor) return state;
    const before = milestones.length;
    const visited = { ...processor, States: visit(processor.States, true) };
    if (milestones.length === before) return { ...state, [key]: visited };
    const selectorKey = state.ItemSelector !== undefined || state.Parameters === undefined ? "ItemSelector" : "Parameters";
    const selector = state[selectorKey];
    if (typeof selector !== "object" || selector === null) {
      mapsWithoutSelector.push(name);
      return { ...state, [key]: visited };
    }
    return { ...state, [key]: visited, [selectorKey]: { ...selector, [`${MAP_INDEX_FIELD}.$`]: "$$.Map.Item.Index" } };
  };

  const States = visit(spec.States, false);
  return { kind: "workflow", asl: { ...spec, States }, tasks, milestones, stateNames, mapsWithoutSelector };
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
}

/** The ASL with every placeholder `FunctionName` replaced, as the interpreter needs it. */
export function bindWorkflow(workflow: WorkflowDefinition, bindings: WorkflowBindings): WorkflowSpec {
  const bind = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(bind);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => {
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
