import type { ContextDefinition } from "../model";
import { EXECUTION_STATUS_CHANGE, FAILED_STATUSES, FAILURE_STATE } from "../model/failure-milestone";
import { valueAt } from "../model/wait-for";
import { MilestoneInputError } from "./errors";
import type { MilestoneInput } from "./publisher";

export { EXECUTION_STATUS_CHANGE, FAILED_STATUSES };

/**
 * The EventBridge event Step Functions sends when an execution changes status (standard workflows).
 * `input` is left out when it is larger than EventBridge carries (`inputDetails.included: false`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/eb-events.html
 */
export interface ExecutionStatusChange {
  readonly "detail-type": typeof EXECUTION_STATUS_CHANGE;
  readonly source: "aws.states";
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn?: string;
    readonly status: string;
    /** Epoch milliseconds. */
    readonly startDate: number;
    readonly stopDate?: number | null;
    readonly input?: string | null;
    readonly error?: string | null;
    readonly cause?: string | null;
    readonly redriveCount?: number;
  };
}

export function isExecutionStatusChange(event: unknown): event is ExecutionStatusChange {
  const e = event as Partial<ExecutionStatusChange> | null;
  return typeof e === "object" && e !== null && e["detail-type"] === EXECUTION_STATUS_CHANGE && typeof e.detail?.executionArn === "string";
}

/**
 * The milestone input of the failure event for an execution that ended FAILED, TIMED_OUT or
 * ABORTED: the same event id as the `Announce<Fail>` state would have published (execution,
 * `FAILURE_STATE`), and marked as a repeat so the publisher first looks for that record and
 * sends nothing when it is there. undefined for any other status.
 */
export function failureMilestoneInput(context: ContextDefinition, change: ExecutionStatusChange): MilestoneInput | undefined {
  const failure = context.failure;
  const { detail } = change;
  if (!failure || !(FAILED_STATUSES as readonly string[]).includes(detail.status)) return undefined;
  let input: unknown;
  try {
    input = detail.input ? JSON.parse(detail.input) : undefined;
  } catch {
    input = undefined;
  }
  if (input === undefined) {
    throw new MilestoneInputError(
      `Execution ${detail.executionArn} ended ${detail.status}, but its status change carries no input (larger than EventBridge carries), so ${failure.type} cannot be built; publish it by hand from the execution's input.`,
    );
  }
  const source = { input, error: detail.error ?? `Execution.${detail.status}`, cause: detail.cause ?? "" };
  const data = Object.fromEntries(Object.entries(failure.data).map(([field, path]) => [field, valueAt(source, path)]));
  const key = valueAt(source, failure.key);
  if (typeof key !== "string" && typeof key !== "number") {
    throw new MilestoneInputError(`Execution ${detail.executionArn} ended ${detail.status}, but its input has no value at ${failure.key.replace("$.input", "$")}, the key of ${failure.type}.`);
  }
  const started = new Date(detail.startDate).toISOString();
  return {
    type: failure.type,
    key: String(key),
    data,
    executionId: detail.executionArn,
    state: FAILURE_STATE,
    // A repeat: the workflow's Announce state may have published it already, any time since the start.
    attempt: 1,
    enteredTime: started,
    executionStartTime: started,
    ...(detail.redriveCount ? { redriveCount: detail.redriveCount } : {}),
    time: new Date(detail.stopDate ?? Date.now()).toISOString(),
  };
}
