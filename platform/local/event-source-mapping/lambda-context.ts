import { randomUUID } from "node:crypto";
import type { Context as LambdaContext } from "aws-lambda";
import { UnsupportedContextMethodError } from "../errors";

/** What Lambda hands a function with each invocation; the deadline starts now. */
export function lambdaContext(group: string, timeoutSeconds: number): LambdaContext {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const unsupported = () => {
    throw new UnsupportedContextMethodError("The callback-style context methods are not emulated; return a promise.");
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: group,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${group}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${group}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
