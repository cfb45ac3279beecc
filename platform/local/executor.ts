import * as path from "node:path";
import { ExecutionAbortedError, StateMachine } from "aws-local-stepfunctions";
import { bindWorkflow, type ContextDefinition, names, taskOf, type WorkflowSpec } from "../model";
import type { MilestoneResult } from "../runtime/publisher";
import { requestOrigin, type StartWorkflowRequest, type StartWorkflowResult, WorkflowStartError, type WorkflowStarter } from "../runtime/workflow";

/** Where the local runtime pretends to be: ARNs look like AWS's, in region "local". */
const LOCAL_ACCOUNT = "arn:aws:states:local:000000000000";
const localFunctionArn = (functionName: string) => `arn:aws:lambda:local:000000000000:function:${functionName}`;

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

export interface LocalExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly context: string;
  readonly input: unknown;
  status: ExecutionStatus;
  /** The state it is in now (RUNNING) or ended in. */
  currentState: string | undefined;
  /** The error a FAILED execution ended with. */
  error: { readonly name: string; readonly message: string } | undefined;
  /** Settles when the execution ends; never rejects (see `status` and `error`). */
  readonly done: Promise<void>;
}

/** One entry of an execution's history as aws-local-stepfunctions logs it (StateFailed, StateRetried, ...). */
export type ExecutionEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncIterable<infer E> ? E : never;

export interface ExecutionObserver {
  onStateEntered?(execution: LocalExecution, state: string): void;
  onEnded?(execution: LocalExecution): void;
  /** Every history event, nested Map and Parallel states included, in order: e.g. a state's failures and retries. */
  onEvent?(execution: LocalExecution, event: ExecutionEvent): void;
}

/** A milestone publisher: the real one, or one that records what it publishes around it. */
export interface Publisher {
  publish(input: unknown): Promise<MilestoneResult>;
}

export interface LocalStateMachineOptions {
  stack: string;
  /** The context's milestone publisher. */
  publisher: Publisher;
  observer?: ExecutionObserver;
  /** Loads a task's handler; the default requires the module the context declares. */
  loadTask?: (context: ContextDefinition, task: string) => (state: unknown) => Promise<unknown>;
}

/** An execution name is used twice on the same state machine. */
export class ExecutionAlreadyExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExecutionAlreadyExists";
  }
}

/**
 * A context's deployed state machine definition, executed by aws-local-stepfunctions: task
 * states bound to the real task handlers, milestone states to the real publisher, each answering
 * `{ Payload }` as the Lambda service integration does. Retry and Catch behave as on AWS.
 *
 * @example
 * const orders = new LocalStateMachine(ordersContext, { stack: "local", publisher });
 * const execution = orders.start("order-1", { orderId: "o-1", ... });
 * await execution.done;
 */
export class LocalStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly definition: WorkflowSpec;
  private readonly machine: StateMachine;
  private readonly overrides: Record<string, (input: { FunctionName: string; Payload: unknown }) => Promise<unknown>>;
  private readonly executions = new Map<string, LocalExecution>();
  /** Aborts of the executions still running. */
  private readonly aborts = new Map<string, () => void>();

  constructor(
    readonly context: ContextDefinition,
    private readonly options: LocalStateMachineOptions,
  ) {
    if (!context.workflow) throw new Error(`Context "${context.name}" has no workflow to run.`);
    this.name = names.stateMachine(options.stack, context.name);
    this.arn = `${LOCAL_ACCOUNT}:stateMachine:${this.name}`;

    const taskByArn = new Map(context.tasks.map((t) => [localFunctionArn(names.taskFunction(options.stack, context.name, t.name)), t.name]));
    const publisherArn = localFunctionArn(names.publisherFunction(options.stack, context.name));
    this.definition = bindWorkflow(context.workflow, {
      task: (task) => localFunctionArn(names.taskFunction(options.stack, context.name, task)),
      milestone: publisherArn,
    });
    this.machine = new StateMachine(this.definition as ConstructorParameters<typeof StateMachine>[0]);

    const load = options.loadTask ?? requireTask;
    const handlers = new Map(context.tasks.map((t) => [t.name, load(context, t.name)]));
    const invoke = async ({ FunctionName, Payload }: { FunctionName: string; Payload: unknown }) => {
      if (FunctionName === publisherArn) return { Payload: await options.publisher.publish(Payload) };
      const task = taskByArn.get(FunctionName);
      const handler = task ? handlers.get(task) : undefined;
      if (!handler) throw new Error(`No local handler for ${FunctionName} in context "${context.name}".`);
      return { Payload: await handler(Payload) };
    };
    this.overrides = Object.fromEntries(lambdaTaskStates(this.definition).map((state) => [state, invoke]));
  }

  /** Starts an execution; a name already used on this machine throws ExecutionAlreadyExists, as StartExecution does. */
  start(name: string, input: unknown): LocalExecution {
    if (this.executions.has(name)) {
      throw new ExecutionAlreadyExistsError(`Execution "${name}" already exists on state machine ${this.name}.`);
    }
    const executionArn = `${LOCAL_ACCOUNT}:execution:${this.name}:${name}`;
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.overrides as never },
      context: { Execution: { Id: executionArn, Name: name }, StateMachine: { Id: this.arn, Name: this.name } },
    });
    const execution: LocalExecution = {
      executionArn,
      name,
      context: this.context.name,
      input,
      status: "RUNNING",
      currentState: undefined,
      error: undefined,
      done: Promise.resolve(),
    };
    this.executions.set(name, execution);
    this.aborts.set(name, () => run.abort());
    const observer = this.options.observer;
    void (async () => {
      for await (const event of run.eventLogs) {
        observer?.onEvent?.(execution, event);
        if (event.type === "StateEntered" && "state" in event && event.index === undefined) {
          execution.currentState = event.state.name;
          observer?.onStateEntered?.(execution, event.state.name);
        }
      }
    })().catch(() => {});
    (execution as { done: Promise<void> }).done = run.result.then(
      () => {
        execution.status = "SUCCEEDED";
        observer?.onEnded?.(execution);
      },
      (error: unknown) => {
        // aws-local-stepfunctions wraps what failed the execution (a Fail state's error, an
        // uncaught task error) in an ExecutionError; report the wrapped one, as AWS does.
        const cause = ((error as Error).cause ?? error) as Error;
        execution.status = error instanceof ExecutionAbortedError ? "ABORTED" : "FAILED";
        execution.error = { name: cause.name, message: cause.message };
        observer?.onEnded?.(execution);
      },
    );
    void execution.done.then(() => this.aborts.delete(name));
    return execution;
  }

  /** Aborts every execution still running (a StopExecution each): nothing is left waiting on a retry or a task. */
  abortRunning(): void {
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
  }

  get all(): readonly LocalExecution[] {
    return [...this.executions.values()];
  }
}

/**
 * The local runtime's side of the WorkflowStarter port: `stateMachine` is a context name, and a
 * repeated execution name answers `started: false`, as ExecutionAlreadyExists does on AWS.
 */
export class LocalWorkflowStarter implements WorkflowStarter {
  constructor(private readonly machines: ReadonlyMap<string, LocalStateMachine>) {}

  async start(request: StartWorkflowRequest): Promise<StartWorkflowResult> {
    const machine = this.machines.get(request.stateMachine);
    if (!machine) {
      throw new WorkflowStartError(
        `Could not start execution "${request.name}"${requestOrigin(request)}: no local state machine for context "${request.stateMachine}" ` +
          `(contexts: ${[...this.machines.keys()].join(", ")}). Not retryable: fix the group's startWorkflow.`,
      );
    }
    try {
      return { executionId: machine.start(request.name, request.input).executionArn, started: true };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        return { executionId: `${LOCAL_ACCOUNT}:execution:${machine.name}:${request.name}`, started: false };
      }
      throw error;
    }
  }
}

/** Names of the Lambda-invoking Task states, nested Map and Parallel states included. */
function lambdaTaskStates(definition: { States: Record<string, Record<string, unknown>> }): string[] {
  const found: string[] = [];
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Task") found.push(name);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (processor) visit(processor.States);
      for (const branch of (state.Branches ?? []) as { States: Record<string, Record<string, unknown>> }[]) visit(branch.States);
    }
  };
  visit(definition.States);
  return found;
}

/** The `handler` export of the module a context declares for a task. */
function requireTask(context: ContextDefinition, taskName: string): (state: unknown) => Promise<unknown> {
  const task = context.tasks.find((t) => t.name === taskName)!;
  if (!context.definedIn) throw new Error(`Cannot locate context "${context.name}" to load task ${taskName}.`);
  const file = path.resolve(path.dirname(path.resolve(context.definedIn)), task.handler);
  const module = require(file) as { handler?: (state: unknown) => Promise<unknown> };
  if (typeof module.handler !== "function") throw new Error(`${file} exports no handler function (task ${context.name}.${taskName}).`);
  return module.handler;
}

export { taskOf };
