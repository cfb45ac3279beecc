import type { ContextDefinition } from "../model";
import { executionStatusChange, failureMilestoneInput } from "../runtime/failure-backstop";
import type { LocalExecution, Publisher } from "./state-machine";

export interface FailedExecution {
  readonly execution: LocalExecution;
  readonly stateMachineArn: string;
  readonly status: "FAILED" | "ABORTED";
  readonly cause: Error;
  /** `$$.Execution.StartTime` of its first run. */
  readonly startTime: string | undefined;
  readonly redriveCount: number;
}

/**
 * What the publisher's backstop does on AWS when EventBridge reports a failed execution (see
 * `failureMilestoneInput`): the context's failure milestone, found on the topic when the
 * workflow's Announce state published it, sent otherwise. A failure to publish is reported as a
 * warning, as an EventBridge target that keeps failing ends in its dead-letter queue.
 */
export async function announceFailure(context: ContextDefinition, publisher: Publisher, failed: FailedExecution): Promise<void> {
  if (!context.failure) return;
  const { execution, cause } = failed;
  const change = executionStatusChange({
    executionArn: execution.executionArn,
    stateMachineArn: failed.stateMachineArn,
    status: failed.status,
    startDate: Date.parse(failed.startTime ?? new Date().toISOString()),
    stopDate: Date.now(),
    input: JSON.stringify(execution.input),
    error: cause.name,
    cause: cause.message,
    redriveCount: failed.redriveCount,
  });
  try {
    const input = failureMilestoneInput(context, change);
    if (input) await publisher.publish(input);
  } catch (error) {
    process.emitWarning(`Execution ${execution.name} failed, and its failure milestone could not be published: ${(error as Error).message}`);
  }
}
