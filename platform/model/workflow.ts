import { ModelError } from "./errors";
import type { ContextEvent } from "./event";
import { awaitedEventOf, WAIT_FUNCTION } from "./wait-for";
import { MAP_INDEX_FIELD, MILESTONE_FUNCTION, OWN_EVENT_PREFIX, type State, type States, taskOf } from "./workflow-states";

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

/** A `waitFor` state: what it waits for and how it correlates. */
export interface WaitState {
  /** The state's name, unique in the state machine. */
  readonly state: string;
  /** The awaited event's type, `<context>.<Event>`. */
  readonly eventType: string;
  /** The awaited event; undefined when the state was written as plain ASL instead of with `waitFor`. */
  readonly event: ContextEvent | undefined;
  /** JSONPath into the event's data. */
  readonly eventKey: string;
  /** JSONPath into the execution's state. */
  readonly stateKey: string;
  readonly timeoutSeconds: number;
  /** Where the event's data goes in the state. */
  readonly resultPath: string;
}

export interface WorkflowDefinition {
  readonly kind: "workflow";
  /** The ASL with placeholders; bind it with `bindWorkflow` before deploying or running. */
  readonly asl: WorkflowSpec;
  /** Names of the tasks the states call, in first-use order. */
  readonly tasks: readonly string[];
  readonly milestones: readonly MilestoneState[];
  /** The states that wait for another context's event, nested ones included. */
  readonly waits: readonly WaitState[];
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
  const waits: WaitState[] = [];
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
    if (parameters?.FunctionName === WAIT_FUNCTION && parameters.Payload) {
      const payload = parameters.Payload;
      waits.push({
        state: name,
        eventType: String(payload.type),
        event: awaitedEventOf(state),
        eventKey: String(payload.eventKey),
        stateKey: String(payload["key.$"]),
        timeoutSeconds: Number(payload.timeoutSeconds),
        resultPath: String(state.ResultPath),
      });
      return { ...state, Parameters: { ...parameters, Payload: { ...payload, state: name } } };
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
  return { kind: "workflow", asl: { ...spec, States }, tasks, milestones, waits, stateNames, mapsWithoutSelector };
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
 * definitions from `events.ts`, whose placeholder already carries `versionedEventName`) get
 * their full type `<context>.<Event>` (`names.eventType`). Called by
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
  /** The `FunctionName` of wait states: the context's correlator. Required when the workflow waits. */
  readonly wait?: string;
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
        if (child === WAIT_FUNCTION) {
          if (!bindings.wait) throw new ModelError("bindWorkflow: the workflow has waitFor states but no `wait` binding (the context's correlator function).");
          return [key, bindings.wait];
        }
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
