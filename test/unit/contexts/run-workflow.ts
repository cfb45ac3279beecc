import * as path from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import { bindWorkflow, type ContextDefinition, type WorkflowSpec } from "../../../platform/model";

/** A milestone the workflow reached, its data checked against the event's schema as the publisher does. */
export interface Published {
  readonly type: string;
  readonly key: string;
  readonly state: string;
  readonly mapIndex: number | undefined;
  readonly data: unknown;
}

export interface WorkflowRun {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly output: unknown;
  /** The error a FAILED run ended with (a Fail state's or an uncaught task error's name). */
  readonly error: string | undefined;
  readonly published: readonly Published[];
  /** Task states entered, in order (iterations and branches included). */
  readonly tasks: readonly string[];
}

const MILESTONE = "milestone";
const TASK = "task:";

/**
 * Runs a context's real workflow definition with aws-local-stepfunctions: task states call the
 * context's real task handlers (the modules it declares), milestone states record what they
 * would publish after checking it against the event's schema. No broker, no Lambda.
 */
export async function runWorkflow(context: ContextDefinition, input: unknown, executionId = "arn:aws:states:local:000000000000:execution:test:run-1"): Promise<WorkflowRun> {
  const definition = bindWorkflow(context.workflow!, { task: (task) => `${TASK}${task}`, milestone: MILESTONE });
  const published: Published[] = [];
  const tasks: string[] = [];

  const invoke = async ({ FunctionName, Payload }: { FunctionName: string; Payload: Record<string, unknown> }) => {
    if (FunctionName === MILESTONE) {
      const event = context.eventList.find((e) => e.type === Payload.type);
      if (!event) throw new Error(`Context "${context.name}" declares no event ${String(Payload.type)}.`);
      published.push({
        type: event.type,
        key: String(Payload.key),
        state: String(Payload.state),
        mapIndex: Payload.mapIndex as number | undefined,
        data: event.schema.parse(Payload.data),
      });
      return { Payload: { eventId: `${Payload.state}-${String(Payload.mapIndex ?? "")}` } };
    }
    const name = FunctionName.slice(TASK.length);
    tasks.push(name);
    return { Payload: await taskHandler(context, name)(Payload) };
  };

  const machine = new StateMachine(definition as ConstructorParameters<typeof StateMachine>[0]);
  const overrides = Object.fromEntries(taskStates(definition.States).map((state) => [state, invoke]));
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: overrides as never },
    context: { Execution: { Id: executionId } },
  });
  try {
    return { status: "SUCCEEDED", output: await execution.result, error: undefined, published, tasks };
  } catch (error) {
    const cause = ((error as Error).cause ?? error) as Error;
    return { status: "FAILED", output: undefined, error: cause.name, published, tasks };
  }
}

function taskHandler(context: ContextDefinition, name: string): (state: unknown) => Promise<unknown> {
  const task = context.tasks.find((t) => t.name === name);
  if (!task || !context.definedIn) throw new Error(`Context "${context.name}" declares no task ${name}.`);
  const file = path.resolve(path.dirname(path.resolve(context.definedIn)), task.handler);
  return (require(file) as { handler: (state: unknown) => Promise<unknown> }).handler;
}

function taskStates(states: WorkflowSpec["States"]): string[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as WorkflowSpec | undefined;
    const branches = (state.Branches ?? []) as WorkflowSpec[];
    return [
      ...(state.Type === "Task" ? [name] : []),
      ...(processor ? taskStates(processor.States) : []),
      ...branches.flatMap((branch) => taskStates(branch.States)),
    ];
  });
}
