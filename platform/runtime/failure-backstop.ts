import type { ContextDefinition } from "../model";
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { EXECUTION_STATUS_CHANGE, FAILED_STATUSES, FAILURE_STATE, longestExecutionSeconds, RECONCILE_FAILURES_INPUT, RECONCILE_LOOKBACK_SECONDS } from "../model/failure-milestone";
import { FunctionEnvironment } from "../model/function-environment";
import { valueAt } from "../model/wait-for";
import { MilestoneInputError, RuntimeConfigError } from "./errors";
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

/** A status change as Step Functions sends it to EventBridge, around its `detail`. */
export const executionStatusChange = (detail: ExecutionStatusChange["detail"]): ExecutionStatusChange => ({ "detail-type": EXECUTION_STATUS_CHANGE, source: "aws.states", detail });

/** Whether the publisher was invoked by the reconciliation schedule. */
export const isReconcileRequest = (event: unknown): boolean => (event as { ensemble?: unknown } | null)?.ensemble === RECONCILE_FAILURES_INPUT.ensemble;

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

export interface ReconcileOptions {
  /** @default an SFN client for the Lambda's region */
  readonly sfn?: SFNClient;
  /** @default `ENSEMBLE_STATE_MACHINE_ARN` */
  readonly stateMachineArn?: string;
  /** @default Date.now() */
  readonly now?: number;
}

export interface Reconciliation {
  /** Failed executions that stopped within the lookback. */
  readonly checked: number;
  /** Of those, the ones whose failure milestone was not on the topic and was sent now. */
  readonly published: number;
}

/**
 * The reconciliation behind the backstop: Step Functions sends status changes to EventBridge best
 * effort (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), so every
 * `RECONCILE_EVERY_MINUTES` the publisher lists its state machine's failed, timed-out and aborted
 * executions (newest start first, back to the longest an execution runs) and, for those that
 * stopped within the lookback, publishes the failure milestone as the backstop would: a repeat,
 * found on the topic when it is there.
 */
export async function reconcileFailures(context: ContextDefinition, publish: (input: MilestoneInput) => Promise<{ alreadyPublished: boolean }>, options: ReconcileOptions = {}): Promise<Reconciliation> {
  const stateMachineArn = options.stateMachineArn ?? process.env[FunctionEnvironment.StateMachineArn];
  if (!stateMachineArn) throw new RuntimeConfigError(`The publisher of context "${context.name}" reconciles failed executions but has no ${FunctionEnvironment.StateMachineArn}; redeploy the stack.`);
  const sfn = options.sfn ?? new SFNClient({});
  const now = options.now ?? Date.now();
  const stoppedSince = now - RECONCILE_LOOKBACK_SECONDS * 1000;
  const startedSince = now - longestExecutionSeconds(context.workflow) * 1000;
  let checked = 0;
  let published = 0;
  for (const status of FAILED_STATUSES) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: 100, nextToken }));
      nextToken = page.nextToken;
      for (const item of page.executions ?? []) {
        if ((item.startDate?.getTime() ?? now) < startedSince) nextToken = undefined; // older ones cannot have stopped recently
        if ((item.stopDate?.getTime() ?? 0) < stoppedSince || !item.executionArn) continue;
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
        const input = failureMilestoneInput(
          context,
          executionStatusChange({
            executionArn: item.executionArn,
            status,
            startDate: execution.startDate?.getTime() ?? now,
            stopDate: execution.stopDate?.getTime() ?? now,
            input: execution.input ?? null,
            error: execution.error ?? null,
            cause: execution.cause ?? null,
            ...(execution.redriveCount ? { redriveCount: execution.redriveCount } : {}),
          }),
        );
        if (!input) continue;
        checked++;
        if (!(await publish(input)).alreadyPublished) published++;
      }
    } while (nextToken);
  }
  return { checked, published };
}
