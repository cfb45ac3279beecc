import { FunctionEnvironment } from "../model/function-environment";
import type { ConsumerDefinition } from "../model";
import { type ConsumeOptions, consume, type KafkaHandler, type ReceivedEvent, type RecordContext } from "./consumer";
import type { ReceivedEnvelope } from "./envelope";
import { RuntimeConfigError } from "./errors";
import { toXRayHeader } from "./trace-context";
import { executionName, SfnWorkflowStarter, type WorkflowStarter } from "./workflow-starter";

/**
 * A starter the process uses for every workflow-starting group that is not given one: the local
 * runtime registers its own (executions on the local broker), before it loads the handlers.
 */
let registered: { starter: WorkflowStarter; stateMachineOf: (context: string) => string } | undefined;

/**
 * Makes `starter` the default of `startsWorkflow` in this process; `stateMachineOf` names the
 * state machine of a context as the starter knows it. Returns a function that undoes it.
 *
 * @example
 * const restore = useWorkflowStarter(localStarter, (context) => context);
 */
export function useWorkflowStarter(starter: WorkflowStarter, stateMachineOf: (context: string) => string = (context) => context): () => void {
  registered = { starter, stateMachineOf };
  return () => {
    registered = undefined;
  };
}

export interface StartsWorkflowOptions<C extends ConsumerDefinition> extends ConsumeOptions {
  /** Maps an event to the execution input of the started workflow. */
  readonly input: (event: ReceivedEvent<C>, context: RecordContext) => unknown;
  /** @default the starter registered with `useWorkflowStarter`, else Step Functions (`SfnWorkflowStarter`) */
  readonly starter?: WorkflowStarter;
  /**
   * The state machine to start: its ARN on AWS, the context name locally.
   * @default `ENSEMBLE_START_STATE_MACHINE_ARN` (set by the infra), else the registered starter's name for the context
   */
  readonly stateMachine?: string;
}

/**
 * The handler of a workflow-starting consumer group: each event starts one execution of the
 * context's state machine named after the event id, so a redelivered event finds its execution
 * already there instead of starting a second one.
 *
 * @example
 * export const handler = startsWorkflow(consumer, {
 *   input: (event) => ({ orderId: event.data.orderId, lines: event.data.lines }),
 * });
 */
export function startsWorkflow<C extends ConsumerDefinition>(consumer: C, options: StartsWorkflowOptions<C>): KafkaHandler {
  if (!consumer.startWorkflow) {
    throw new RuntimeConfigError(`Consumer group "${consumer.name}" declares no startWorkflow; add startWorkflow: <context> to its definition.`);
  }
  const target = consumer.startWorkflow.name;
  // Resolved on first use, not at load: a bundle must load (and the local runtime register its
  // starter) before anything is started.
  const resolve = () => {
    const stateMachine = options.stateMachine ?? process.env[FunctionEnvironment.StartStateMachineArn] ?? registered?.stateMachineOf(target);
    if (!stateMachine) {
      throw new RuntimeConfigError(
        `Consumer group "${consumer.name}" starts context "${target}" but has no state machine: set ${FunctionEnvironment.StartStateMachineArn} (the infra does) or pass stateMachine.`,
      );
    }
    return { stateMachine, starter: options.starter ?? registered?.starter ?? (sfn ??= new SfnWorkflowStarter()) };
  };
  let sfn: SfnWorkflowStarter | undefined;

  return consume(
    consumer,
    async (event, context) => {
      // The envelope's id and type; TypeScript cannot see them through the still-generic event union.
      const { id, type } = event as ReceivedEnvelope;
      const { stateMachine, starter } = resolve();
      const result = await starter.start({
        stateMachine,
        name: executionName(consumer.name, id),
        input: options.input(event, context),
        eventId: id,
        eventType: type,
        group: consumer.name,
        // The execution continues the event's trace (X-Ray's header names the same trace id).
        ...(context.trace ? { traceHeader: toXRayHeader(context.trace) } : process.env._X_AMZN_TRACE_ID ? { traceHeader: process.env._X_AMZN_TRACE_ID } : {}),
      });
      context.logger.info(result.started ? "workflow started" : "workflow already started by an earlier delivery", {
        context: target,
        executionId: result.executionId,
      });
    },
    options,
  );
}
