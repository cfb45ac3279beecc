import type { ConsumerDefinition } from "../model";
import { type ConsumeOptions, consume, type KafkaHandler, type ReceivedEvent, type RecordContext } from "./consumer";
import type { ReceivedEnvelope } from "./envelope";
import { RuntimeConfigError } from "./errors";
import { executionName, SfnWorkflowStarter, type WorkflowStarter } from "./workflow";

export interface StartsWorkflowOptions<C extends ConsumerDefinition> extends ConsumeOptions {
  /** Maps an event to the execution input of the started workflow. */
  readonly input: (event: ReceivedEvent<C>, context: RecordContext) => unknown;
  /** @default Step Functions (`SfnWorkflowStarter`) */
  readonly starter?: WorkflowStarter;
  /**
   * The state machine to start: its ARN on AWS, the context name locally.
   * @default process.env.ENSEMBLE_START_STATE_MACHINE_ARN (set by the infra)
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
  const stateMachine = options.stateMachine ?? process.env.ENSEMBLE_START_STATE_MACHINE_ARN;
  if (!stateMachine) {
    throw new RuntimeConfigError(
      `Consumer group "${consumer.name}" starts context "${target}" but has no state machine: set ENSEMBLE_START_STATE_MACHINE_ARN (the infra does) or pass stateMachine.`,
    );
  }
  const starter = options.starter ?? new SfnWorkflowStarter();

  return consume(
    consumer,
    async (event, context) => {
      // The envelope's id; TypeScript cannot see it through the still-generic event union.
      const { id } = event as ReceivedEnvelope;
      const result = await starter.start({
        stateMachine,
        name: executionName(consumer.name, id),
        input: options.input(event, context),
        eventId: id,
        ...(process.env._X_AMZN_TRACE_ID ? { traceHeader: process.env._X_AMZN_TRACE_ID } : {}),
      });
      context.logger.info(result.started ? "workflow started" : "workflow already started by an earlier delivery", {
        context: target,
        executionId: result.executionId,
      });
    },
    options,
  );
}
