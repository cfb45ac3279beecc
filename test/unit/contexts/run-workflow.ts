import { LocalStateMachine, loadTaskHandler } from "../../../platform/local/state-machine";
import { LocalTaskTokens } from "../../../platform/local/task-tokens";
import { type ContextDefinition, correlatorOf } from "../../../platform/model";
import { correlatorHandler } from "../../../platform/runtime/correlator";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import { InMemoryWaitStore } from "../../../platform/runtime/wait-store";
import { delivery, type Milestone } from "../consumers/deliveries";

/** A milestone the workflow reached, its data checked against the event's schema as the publisher does. */
export interface Published {
  readonly type: string;
  readonly key: string;
  readonly state: string;
  readonly mapIndex: number | string | undefined;
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

export interface RunOptions {
  readonly executionId?: string;
  /**
   * Events of other contexts the workflow's waits are answered with, delivered to the context's
   * real correlator as its event source mapping would: before the execution starts, or once the
   * first wait is registered.
   */
  readonly awaited?: { readonly events: readonly Milestone[]; readonly at: "before" | "waiting" };
}

/**
 * Runs a context's real workflow definition in the local executor (aws-local-stepfunctions):
 * task states call the context's real task handlers (the modules it references), milestone states
 * record what they would publish after checking it against the event's schema. No broker.
 */
export async function runWorkflow(context: ContextDefinition, input: unknown, options: RunOptions = {}): Promise<WorkflowRun> {
  const executionId = options.executionId ?? "arn:aws:states:local:000000000000:execution:test:run-1";
  const published: Published[] = [];
  const tasks: string[] = [];
  const tokens = new LocalTaskTokens();
  // A store of waits and of handled event ids of its own: each run is a system of its own.
  const correlator = correlatorOf(context) && correlatorHandler(context, { store: new InMemoryWaitStore(), completer: tokens, idempotency: new InMemoryPersistenceLayer() });
  let registered!: () => void;
  const firstRegistration = new Promise<void>((resolve) => (registered = resolve));
  const deliver = async () => {
    const response = await correlator!(delivery(options.awaited!.events));
    expect(response).toEqual({ batchItemFailures: [] });
  };
  const machine = new LocalStateMachine(context, {
    stack: "test",
    waits: {
      tokens,
      register: async (registration) => {
        const result = await correlator!(registration);
        registered();
        return result;
      },
    },
    loadTask: async (owner, name) => {
      const handler = await loadTaskHandler(owner, name);
      return (state) => (tasks.push(name), handler(state));
    },
    publisher: {
      async publish(raw) {
        const payload = raw as Record<string, unknown>;
        const event = context.eventList.find((e) => e.type === payload.type);
        if (!event) throw new Error(`Context "${context.name}" declares no event ${String(payload.type)}.`);
        const eventId = `${String(payload.state)}-${String(payload.mapIndex ?? "")}`;
        // A repeat (a retry, or the failure backstop after an Announce state) finds its record, as the publisher does.
        const repeat = Number(payload.attempt ?? 0) > 0 && published.some((p) => `${p.state}-${String(p.mapIndex ?? "")}` === eventId);
        if (repeat) return { eventId, topic: `${context.name}.events`, partition: 0, offset: "0", alreadyPublished: true };
        published.push({
          type: event.type,
          key: String(payload.key),
          state: String(payload.state),
          mapIndex: payload.mapIndex as number | string | undefined,
          data: event.schema.parse(payload.data),
        });
        return { eventId, topic: `${context.name}.events`, partition: 0, offset: "0", alreadyPublished: false };
      },
    },
  });
  await machine.ready();
  if (options.awaited?.at === "before") await deliver();
  const execution = machine.start(executionId.slice(executionId.lastIndexOf(":") + 1), input);
  if (options.awaited?.at === "waiting") await Promise.race([firstRegistration.then(deliver), execution.done]);
  await execution.done;
  await correlator?.close();
  return execution.status === "SUCCEEDED"
    ? { status: "SUCCEEDED", output: execution.output, error: undefined, published, tasks }
    : { status: "FAILED", output: undefined, error: execution.error?.name, published, tasks };
}
