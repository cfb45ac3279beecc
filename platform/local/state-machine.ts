import { type SpanContext, SpanStatusCode } from "@opentelemetry/api";
import { ExecutionAbortedError, StateMachine } from "aws-local-stepfunctions";
import {
  bindWorkflow,
  type ContextDefinition,
  FUNCTION_DEFAULTS,
  loadTaskHandler,
  MILESTONE_CONTEXT_FIELDS,
  names,
  type TaskHandler,
  taskOf,
  type WorkflowSpec,
} from "../model";
import { correlatorName } from "../model/correlator";
import { withDeadline } from "../runtime/deadline";
import { contextUnder, fromXRayHeader, propagated, toXRayHeader, tracer } from "../runtime/trace-context";
import type { MilestoneResult, PublishOptions } from "../runtime/publisher";
import { announceFailure } from "./failure-announcer";
import type { LocalTaskTokens } from "./task-tokens";
import { ExecutionAlreadyExistsError, ExecutionNotRedrivableError, FunctionTimedOutError, HandlerNotFoundError, WorkflowNotFoundError } from "./errors";

/** Where the local runtime pretends to be: ARNs look like AWS's, in region "local". */
export const LOCAL_ACCOUNT = "arn:aws:states:local:000000000000";
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
  /** What a SUCCEEDED execution ended with. */
  output: unknown;
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
  publish(input: unknown, options?: PublishOptions): Promise<MilestoneResult>;
}

export interface LocalStateMachineOptions {
  stack: string;
  /** The context's milestone publisher. */
  publisher: Publisher;
  observer?: ExecutionObserver;
  /** Loads a task's handler; the default is {@link loadTaskHandler}. */
  loadTask?: (context: ContextDefinition, task: string) => TaskHandler | Promise<TaskHandler>;
  /**
   * The publisher function's timeout (a task's own `timeoutSeconds` wins for that task): an
   * invocation still running then fails the state with `Lambda.Unknown`, as Step Functions
   * reports a timed-out function, while the handler itself goes on, as a frozen container's
   * would. @default FUNCTION_DEFAULTS.timeoutSeconds
   */
  functionTimeoutSeconds?: number;
  /**
   * How wait states (`waitFor`) run: `register` is the context's correlator function, invoked with
   * the registration and a token from `tokens`; the state waits until that token is completed.
   * Required when the workflow waits.
   */
  waits?: { readonly tokens: LocalTaskTokens; readonly register: (registration: unknown) => Promise<unknown> };
}

/** A task's handler as the local executor calls it: the state in, the new state out. */
export type { TaskHandler };

/** What the local executor knows of one execution's current run, to fill the context fields it lacks. */
interface Run {
  redriveCount: number;
  /** `$$.Execution.StartTime` of the first run: a redrive keeps it. */
  readonly startTime: string;
  /** Per milestone occurrence: attempts so far and when the state was entered. */
  readonly attempts: Map<string, { count: number; readonly enteredTime: string }>;
  /** The top-level state entered last, and its input: where a redrive resumes. */
  entered: { readonly state: string; readonly input: unknown } | undefined;
  /** Settles once every history event of the run has been seen. */
  history: Promise<void>;
  /** The execution's trace: its span's context, passed to the functions it invokes as Step Functions passes its X-Ray header. */
  readonly trace: SpanContext;
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
  /** Each task's handler, loading from construction on, as a Lambda container would at its cold start. */
  private readonly handlers: ReadonlyMap<string, Promise<TaskHandler>>;
  private readonly executions = new Map<string, LocalExecution>();
  private readonly runs = new Map<string, Run>();
  /** Aborts of the executions still running. */
  private readonly aborts = new Map<string, () => void>();

  constructor(
    readonly context: ContextDefinition,
    private readonly options: LocalStateMachineOptions,
  ) {
    if (!context.workflow) throw new WorkflowNotFoundError(`Context "${context.name}" has no workflow to run; make state machines only for contexts that declare a workflow.`);
    this.name = names.stateMachine(options.stack, context.name);
    this.arn = `${LOCAL_ACCOUNT}:stateMachine:${this.name}`;

    const taskByArn = new Map(context.tasks.map((t) => [localFunctionArn(names.taskFunction(options.stack, context.name, t.name)), t.name]));
    const publisherArn = localFunctionArn(names.publisherFunction(options.stack, context.name));
    const correlatorArn = localFunctionArn(names.consumerFunction(options.stack, correlatorName(context.name)));
    this.definition = withoutLocalContextFields(
      bindWorkflow(context.workflow, {
        task: (task) => localFunctionArn(names.taskFunction(options.stack, context.name, task)),
        milestone: publisherArn,
        wait: correlatorArn,
      }),
    );
    this.machine = new StateMachine(this.definition as ConstructorParameters<typeof StateMachine>[0]);

    const load = options.loadTask ?? loadTaskHandler;
    const handlers = new Map(context.tasks.map((t) => [t.name, Promise.resolve().then(() => load(context, t.name))]));
    // A load that fails fails `ready()` and every invocation of the task; it is not unhandled meanwhile.
    for (const handler of handlers.values()) handler.catch(() => {});
    this.handlers = handlers;
    const defaultTimeout = options.functionTimeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds;
    const timeouts = new Map(context.tasks.map((t) => [t.name, t.timeoutSeconds ?? defaultTimeout]));
    const invoke = async ({ FunctionName, Payload }: { FunctionName: string; Payload: unknown }) => {
      if (FunctionName === publisherArn) {
        const input = this.withContextFields(Payload as Record<string, unknown>);
        const traceHeader = this.traceHeaderOf(input.executionId);
        return { Payload: await timedOutAfter(defaultTimeout, FunctionName, (remainingMs) => options.publisher.publish(input, { remainingMs, traceHeader })) };
      }
      if (FunctionName === correlatorArn) return this.wait(Payload as { timeoutSeconds: number; executionId: string }, defaultTimeout);
      const task = taskByArn.get(FunctionName);
      const loading = task ? handlers.get(task) : undefined;
      if (!loading) {
        throw new HandlerNotFoundError(
          `No local handler for ${FunctionName} in context "${context.name}": the workflow invokes a function that is not one of its tasks; declare it in the context's tasks.`,
        );
      }
      const handler = await loading;
      return { Payload: await timedOutAfter(timeouts.get(task!)!, FunctionName, () => handler(Payload)) };
    };
    this.overrides = Object.fromEntries(lambdaTaskStates(this.definition).map((state) => [state, invoke]));
  }

  /**
   * Resolves once every task's handler is loaded; rejects with the first TaskModuleError
   * otherwise. Await it before starting executions to fail on a bad task module at once, not as
   * a failed state (which a workflow's Catch could take for the task's own error).
   */
  async ready(): Promise<void> {
    await Promise.all(this.handlers.values());
  }

  /**
   * A wait state (`lambda:invoke.waitForTaskToken`): invokes the correlator with a new task token,
   * then waits for the token to be completed; its output is the state's result. The executor
   * fails the state with States.Timeout after its TimeoutSeconds, as Step Functions does.
   */
  private async wait(payload: { timeoutSeconds: number; executionId: string }, functionTimeoutSeconds: number): Promise<unknown> {
    const waits = this.options.waits;
    if (!waits) throw new HandlerNotFoundError(`Context "${this.context.name}" waits for events but the local runtime gave its state machine no correlator.`);
    const { taskToken, result } = waits.tokens.issue(payload.timeoutSeconds);
    // On AWS the correlator reads the execution's trace from _X_AMZN_TRACE_ID; one process has one environment, so it comes in the payload.
    const traceHeader = this.traceHeaderOf(payload.executionId);
    await timedOutAfter(functionTimeoutSeconds, correlatorName(this.context.name), () => waits.register({ ...payload, taskToken, traceHeader }));
    return result;
  }

  private traceHeaderOf(executionId: unknown): string | undefined {
    const run = this.runs.get(String(executionId));
    return run ? toXRayHeader(run.trace) : undefined;
  }

  /**
   * The milestone input with the context fields aws-local-stepfunctions does not fill
   * (`$$.State.RetryCount` and `EnteredTime`, `$$.Execution.RedriveCount`, and a `StartTime` a
   * redrive keeps), as Step Functions fills them: attempts are counted per occurrence of the state.
   */
  private withContextFields(payload: Record<string, unknown>): Record<string, unknown> {
    const run = this.runs.get(String(payload.executionId));
    if (!run) return payload;
    const occurrence = JSON.stringify([payload.state, payload.mapIndex ?? null, payload.occurrence ?? null]);
    const entry = run.attempts.get(occurrence) ?? { count: 0, enteredTime: new Date().toISOString() };
    run.attempts.set(occurrence, { ...entry, count: entry.count + 1 });
    return { ...payload, attempt: entry.count, enteredTime: entry.enteredTime, redriveCount: run.redriveCount, executionStartTime: run.startTime };
  }

  /**
   * Starts an execution; a name already used on this machine throws ExecutionAlreadyExists, as
   * StartExecution does. `traceHeader` (X-Ray's, as StartExecution takes it) continues the caller's
   * trace; without one the execution starts a trace of its own.
   */
  start(name: string, input: unknown, options: { traceHeader?: string | undefined } = {}): LocalExecution {
    if (this.executions.has(name)) {
      throw new ExecutionAlreadyExistsError(`Execution "${name}" already exists on state machine ${this.name}.`);
    }
    const executionArn = `${LOCAL_ACCOUNT}:execution:${this.name}:${name}`;
    const execution: LocalExecution = {
      executionArn,
      name,
      context: this.context.name,
      input,
      status: "RUNNING",
      currentState: undefined,
      error: undefined,
      output: undefined,
      done: Promise.resolve(),
    };
    this.executions.set(name, execution);
    const parent = fromXRayHeader(options.traceHeader);
    const span = tracer().startSpan(
      `execution ${this.context.name}`,
      { attributes: { "ensemble.context": this.context.name, "ensemble.execution": executionArn, "ensemble.key": keyOf(input) } },
      contextUnder(parent),
    );
    const trace = propagated(span.spanContext(), parent);
    this.runs.set(executionArn, { redriveCount: 0, startTime: new Date().toISOString(), attempts: new Map(), entered: undefined, history: Promise.resolve(), trace });
    this.launch(execution, this.machine, input);
    void execution.done.then(() => {
      span.setAttribute("ensemble.status", execution.status);
      if (execution.status !== "SUCCEEDED") span.setStatus({ code: SpanStatusCode.ERROR, message: execution.error?.message ?? execution.status });
      span.end();
    });
    return execution;
  }

  /**
   * Redrives a FAILED or ABORTED execution, as RedriveExecution does: the same execution (ARN,
   * name, start time) continues from the state it stopped in, with that state's input, and
   * `$$.Execution.RedriveCount` goes up by one. Unlike AWS, a Map or Parallel state it stopped in
   * runs again whole, not only its failed iterations; the milestones of those that succeeded are
   * found on their topic by the publisher (a redrive looks before it publishes), not sent again.
   * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
   */
  async redrive(name: string): Promise<LocalExecution> {
    const execution = this.executions.get(name);
    if (!execution) throw new ExecutionNotRedrivableError(`No execution "${name}" on state machine ${this.name} to redrive.`);
    const run = this.runs.get(execution.executionArn);
    if (!run || (execution.status !== "FAILED" && execution.status !== "ABORTED")) {
      throw new ExecutionNotRedrivableError(`Execution "${name}" is ${execution.status}; only a failed or aborted execution can be redriven.`);
    }
    await run.history;
    if (!run.entered) throw new ExecutionNotRedrivableError(`Execution "${name}" never entered a state; start it again instead.`);
    run.redriveCount++;
    run.attempts.clear();
    Object.assign(execution, { status: "RUNNING", error: undefined });
    // Validated when this machine was made; starting elsewhere leaves the states before unreachable, which is fine here.
    const machine = new StateMachine({ ...this.definition, StartAt: run.entered.state } as ConstructorParameters<typeof StateMachine>[0], {
      validationOptions: { noValidate: true },
    });
    this.launch(execution, machine, run.entered.input);
    return execution;
  }

  /** Runs `machine` as `execution` and keeps its status, current state and history up to date. */
  private launch(execution: LocalExecution, machine: StateMachine, input: unknown): void {
    const { name, executionArn } = execution;
    const runState = this.runs.get(executionArn)!;
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.overrides as never },
      context: { Execution: { Id: executionArn, Name: name }, StateMachine: { Id: this.arn, Name: this.name } },
    });
    this.aborts.set(name, () => run.abort());
    const observer = this.options.observer;
    const topLevel = this.definition.States;
    runState.history = (async () => {
      for await (const event of run.eventLogs) {
        observer?.onEvent?.(execution, event);
        // State names are unique in the machine, so a top-level one is one of its own States.
        if (event.type === "StateEntered" && "state" in event && event.index === undefined && event.state.name in topLevel) {
          execution.currentState = event.state.name;
          runState.entered = { state: event.state.name, input: event.state.input };
          observer?.onStateEntered?.(execution, event.state.name);
        }
      }
    })().catch(() => {});
    (execution as { done: Promise<void> }).done = run.result.then(
      (output) => {
        execution.output = output;
        execution.status = "SUCCEEDED";
        // Nothing redrives a succeeded execution: its attempt counts can go.
        this.runs.delete(executionArn);
        observer?.onEnded?.(execution);
      },
      async (error: unknown) => {
        // aws-local-stepfunctions wraps what failed the execution (a Fail state's error, an
        // uncaught task error) in an ExecutionError; report the wrapped one, as AWS does.
        const cause = ((error as Error).cause ?? error) as Error;
        const status = error instanceof ExecutionAbortedError ? "ABORTED" : "FAILED";
        // EventBridge's status change, which on AWS invokes the publisher's backstop; before the
        // status is set, so a run that waits for nothing running also waits for the failure event.
        if (!this.stopping) await this.announceFailure(execution, status, cause);
        execution.status = status;
        execution.error = { name: cause.name, message: cause.message };
        observer?.onEnded?.(execution);
      },
    );
    void execution.done.then(() => this.aborts.delete(name));
  }

  /** The context's failure milestone for a failed execution, as EventBridge's status change has the publisher publish it on AWS (see `announceFailure`). */
  private async announceFailure(execution: LocalExecution, status: "FAILED" | "ABORTED", cause: Error): Promise<void> {
    const run = this.runs.get(execution.executionArn);
    await announceFailure(this.context, this.options.publisher, { execution, stateMachineArn: this.arn, status, cause, startTime: run?.startTime, redriveCount: run?.redriveCount ?? 0 });
  }

  /** Set by `abortRunning`: executions aborted at shutdown announce nothing. */
  private stopping = false;

  /** Aborts every execution still running (a StopExecution each, at shutdown: no failure milestone): nothing is left waiting on a retry or a task. */
  abortRunning(): void {
    this.stopping = true;
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
  }

  get all(): readonly LocalExecution[] {
    return [...this.executions.values()];
  }
}

/**
 * Runs `invoke` as a Lambda with a timeout of `seconds`: past it, the state fails with
 * `Lambda.Unknown` ("Task timed out"), what Step Functions reports for a timed-out function.
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
function timedOutAfter<T>(seconds: number, functionName: string, invoke: (remainingMs: number) => Promise<T>): Promise<T> {
  const timedOut = () => new FunctionTimedOutError(`${functionName}: Task timed out after ${seconds.toFixed(2)} seconds`);
  return withDeadline(invoke(seconds * 1000), seconds * 1000, timedOut);
}

/**
 * The definition without the context fields the local executor fills itself: the milestone's
 * (see `withContextFields`) and a wait's task token (see `wait`).
 */
function withoutLocalContextFields(definition: WorkflowSpec): WorkflowSpec {
  const contextFields = new Set([...Object.keys(MILESTONE_CONTEXT_FIELDS), "taskToken.$"]);
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).filter(([key]) => !contextFields.has(key)).map(([key, child]) => [key, strip(child)]));
  };
  return strip(definition) as WorkflowSpec;
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

export { loadTaskHandler, taskOf };

/** The business key an execution's input names, for finding its trace: the first `...Id` field it has. */
function keyOf(input: unknown): string {
  if (input === null || typeof input !== "object") return "";
  const id = Object.entries(input).find(([field, value]) => /Id$/.test(field) && (typeof value === "string" || typeof value === "number"));
  return id ? String(id[1]) : "";
}
