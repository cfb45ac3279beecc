import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { WAIT_EVENT_TOO_LARGE } from "../model/wait-for";
import { RuntimeError } from "./errors";

/** What became of a completion: done, or the task is no longer waiting (timed out, closed, unknown). */
export type Completion = "completed" | "gone";

/** Completes a waiting task by its token: Step Functions on AWS, the local executor locally. */
export interface TaskCompleter {
  succeed(taskToken: string, output: unknown): Promise<Completion>;
  fail(taskToken: string, error: string, cause: string): Promise<Completion>;
}

/** SendTaskSuccess takes at most 256 KB of output. https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html */
export const TASK_OUTPUT_MAX_BYTES = 262_144;

/**
 * Errors that mean the token has nothing waiting on it any more, which retrying cannot change:
 * `TaskTimedOut` ("the task token has either expired or the task associated with the token has
 * already been closed"), `InvalidToken`, `TaskDoesNotExist`. They end the completion quietly, so a
 * duplicate event or a late one never loops.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors
 */
const GONE = new Set(["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]);

/**
 * Step Functions' side. Every other error (throttling, a service fault, AccessDenied) is thrown,
 * so the correlator's record fails and is retried, then dead-lettered: nothing is dropped.
 */
export class SfnTaskCompleter implements TaskCompleter {
  constructor(private readonly client: SFNClient = new SFNClient({})) {}

  async succeed(taskToken: string, output: unknown): Promise<Completion> {
    const json = JSON.stringify(output ?? null);
    if (Buffer.byteLength(json) > TASK_OUTPUT_MAX_BYTES) {
      return this.fail(taskToken, WAIT_EVENT_TOO_LARGE, `The awaited event's data is ${Buffer.byteLength(json)} bytes; a wait can receive at most ${TASK_OUTPUT_MAX_BYTES}.`);
    }
    return this.send(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: json })));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<Completion> {
    return this.send(() => this.client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) })));
  }

  private async send(call: () => Promise<unknown>): Promise<Completion> {
    try {
      await call();
      return "completed";
    } catch (error) {
      // By name, not instanceof: robust to two copies of the SDK in one bundle.
      const name = (error as { name?: string } | null)?.name ?? "";
      if (GONE.has(name)) return "gone";
      if (name === "AccessDeniedException") {
        throw new RuntimeError(
          `Step Functions refused to complete a wait: ${(error as Error).message}. The correlator's role allows states:SendTaskSuccess on the waiting state machine only (statement CompleteWaits, platform/infra/correlator-iam.ts); if this account evaluates it on "*", widen that statement. The record is retried, then dead-lettered, and can be redriven.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}
