import type { ContextEvent, EventDefinition, VersionedName } from "./event";
import { names, versionedEventName } from "./names";
import { callerFile } from "./source";
import { type FailureMilestone, withFailureMilestones } from "./failure-milestone";
import { ownEvents, type WorkflowDefinition } from "./workflow";

/**
 * A task's handler module, imported only when the task runs: `() => import("./tasks/reserve-stock.js")`
 * (the `.js` a TypeScript import names its `.ts` file by). The compiler checks the reference: a
 * missing module, or one without a `handler` function, does not type-check.
 */
export type TaskModule = () => Promise<{ readonly handler: (input: never) => unknown }>;

/** A Lambda task the context's workflow calls, with settings of its own. */
export interface TaskSpec {
  /** The task's handler module (see {@link TaskModule}). */
  readonly module: TaskModule;
  readonly description?: string;
  /** @default the stack's `functions.timeoutSeconds` */
  readonly timeoutSeconds?: number;
  /** @default the stack's `functions.memoryMb` */
  readonly memoryMb?: number;
}

export interface TaskDefinition extends TaskSpec {
  readonly name: string;
}

export interface ContextSpec<Name extends string, Events extends readonly EventDefinition[]> {
  /** kebab-case, unique in the topology; names the topic (`<name>.events`) and the state machine. */
  readonly name: Name;
  /**
   * The context's folder, `__dirname` in its context.ts: its milestone publisher is bundled from
   * `context.ts` there, each task from `tasks/<task name in kebab-case>.ts` (see `taskFile`).
   * @example
   * dir: __dirname
   */
  readonly dir?: string;
  /** The events this context publishes at its milestones. */
  readonly events: Events;
  readonly description?: string;
  /**
   * The Lambda tasks of the workflow, by the name `task()` uses (PascalCase): each one's module,
   * imported lazily, at `tasks/<name in kebab-case>.ts`.
   * @example
   * tasks: { ReserveStock: () => import("./tasks/reserve-stock.js") }
   * @example
   * tasks: { ReserveStock: { module: () => import("./tasks/reserve-stock.js"), timeoutSeconds: 60 } }
   */
  readonly tasks?: Readonly<Record<string, TaskModule | TaskSpec>>;
  /** The state machine that orchestrates the tasks and reaches the milestones. */
  readonly workflow?: WorkflowDefinition;
  /**
   * The event the context publishes, once, when an execution fails: from every `Fail` state and
   * for any other failure (see `onFailure`). One of `events`.
   */
  readonly failure?: FailureMilestone;
}

/** Keyed like the event's type: `OrderPlaced`, and `"OrderPlaced.v2"` for its version 2. */
type BoundEvents<Context extends string, Events extends readonly EventDefinition[]> = {
  readonly [E in Events[number] as VersionedName<E["name"], E["version"]>]: ContextEvent<Context, E["name"], E["schema"], E["version"]>;
};

export interface ContextDefinition<
  Name extends string = string,
  Events extends readonly EventDefinition[] = readonly EventDefinition[],
> {
  readonly kind: "context";
  readonly name: Name;
  readonly description: string | undefined;
  /** Events by name, for consumers to reference: `orders.events.OrderPlaced`, `orders.events["OrderPlaced.v2"]`. */
  readonly events: BoundEvents<Name, Events>;
  /** Every declared event in declaration order, duplicates included so `validate()` sees them. */
  readonly eventList: readonly ContextEvent<Name>[];
  readonly tasks: readonly TaskDefinition[];
  readonly workflow: WorkflowDefinition | undefined;
  /** The failure milestone, when the context declares one (see `onFailure`). */
  readonly failure: (FailureMilestone & { readonly type: string }) | undefined;
  /** The context's folder, where its context.ts and tasks/ are; undefined when not declared. */
  readonly dir: string | undefined;
  /** The file that declared this context, for error messages. */
  readonly definedIn: string | undefined;
}

/**
 * Declares a bounded context and the events it publishes.
 *
 * @example
 * export default defineContext({
 *   name: "orders",
 *   dir: __dirname,
 *   events: [OrderPlaced, OrderRejected],
 *   tasks: { ValidateOrder: () => import("./tasks/validate-order.js") },
 *   workflow,
 * });
 */
export function defineContext<const Name extends string, const Events extends readonly EventDefinition[]>(
  spec: ContextSpec<Name, Events>,
): ContextDefinition<Name, Events> {
  const eventList = spec.events.map(
    (event): ContextEvent<Name> => ({
      ...event,
      context: spec.name,
      type: names.eventType(spec.name, event.name, event.version) as `${Name}.${string}`,
    }),
  );
  const events = Object.fromEntries(eventList.map((event) => [versionedEventName(event.name, event.version), event])) as BoundEvents<Name, Events>;
  return {
    kind: "context",
    name: spec.name,
    description: spec.description,
    events,
    eventList,
    tasks: Object.entries(spec.tasks ?? {}).map(([name, task]) => ({ name, ...(typeof task === "function" ? { module: task } : task) })),
    workflow: spec.workflow && ownEvents(spec.failure ? withFailureMilestones(spec.workflow, spec.failure, spec.name) : spec.workflow, spec.name),
    failure: spec.failure && { ...spec.failure, type: names.eventType(spec.name, spec.failure.event.name, spec.failure.event.version) },
    dir: spec.dir,
    definedIn: callerFile(),
  };
}
