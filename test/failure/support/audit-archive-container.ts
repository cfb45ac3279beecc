/*
 * A Lambda container of the audit-archive group's function, started by the consumer process
 * (audit-archive-process.ts with FUNCTION_CONTAINER=1) over an IPC channel: it takes one
 * invocation at a time, `{ id, event }`, and answers `{ id, response }` or `{ id, error }`. Killed,
 * it answers nothing: the consumer process sees the container exit, as Lambda reports a runtime
 * that exited mid-invocation, and the event source mapping retries the batch in a new container.
 *
 * The invocation's Lambda deadline counts from when the container takes the invocation, the
 * function timeout later (FUNCTION_TIMEOUT_SECONDS), as on AWS, where a cold start's Init phase is
 * not part of the timeout. Environment: as the consumer process's, plus FREEZE_* for the first
 * container only (see audit-archive-function.ts).
 */
import { randomUUID } from "node:crypto";
import type { Context as LambdaContext } from "aws-lambda";
import { handler } from "../../../consumers/audit-archive/handler";
import type { KafkaEvent } from "../../../platform/runtime/msk";
import { auditArchiveFunction, freezePointFromEnv, say } from "./audit-archive-function";

const effectsFile = process.env.EFFECTS_FILE;
const timeoutSeconds = Number(process.env.FUNCTION_TIMEOUT_SECONDS);
if (!effectsFile || !(timeoutSeconds > 0) || !process.send) throw new Error("Run by audit-archive-process.ts, with EFFECTS_FILE and FUNCTION_TIMEOUT_SECONDS set.");
const fn = auditArchiveFunction(effectsFile, freezePointFromEnv(process.env));

process.on("message", (message: { id: number; event: KafkaEvent }) => {
  const context = lambdaContext(timeoutSeconds);
  say({ kind: "invoked", pid: process.pid, at: Date.now(), offsets: Object.values(message.event.records).flat().map((r) => r.offset) });
  fn(message.event, context).then(
    (response) => process.send!({ id: message.id, response }),
    (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The consumer process went away: a container outlives no poller.
process.on("disconnect", () => void handler.close().finally(() => process.exit(0)));
process.send({ ready: true });

function lambdaContext(seconds: number): LambdaContext {
  const deadline = Date.now() + seconds * 1000;
  const unsupported = () => {
    throw new Error("The callback-style context methods are not emulated; return a promise.");
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "audit-archive",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:audit-archive",
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/audit-archive",
    logStreamName: `container-${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
