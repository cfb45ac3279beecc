import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { loadHandler } from "../local/runtime";
import type { ConsumerDefinition } from "../model";
import type { KafkaHandler } from "../runtime/consumer";
import type { KafkaBatchResponse, KafkaEvent } from "../runtime/msk";
import { GroupFunctionError } from "./errors";

/**
 * The port through which the redrive hands records back to a consumer group: its function,
 * invoked with an MSK event exactly as its event source mapping would invoke it, answering with
 * the function's partial batch response. Locally: the group's handler module in this process.
 * On AWS: a Lambda `Invoke` of `<stack>-<group>` (see docs/redrive.md).
 */
export interface GroupFunction {
  /** Says what is invoked, for the report. */
  readonly description: string;
  /** Resolves with the function's answer; rejects when the invocation itself failed (an unhandled error). */
  invoke(event: KafkaEvent): Promise<KafkaBatchResponse | void>;
  close(): Promise<void>;
}

/** The group's handler module (`consumers/<group>/handler.ts`), loaded in this process as the local runtime loads it. */
export class LocalGroupFunction implements GroupFunction {
  readonly description: string;
  private readonly handler: KafkaHandler;

  constructor(consumer: ConsumerDefinition) {
    this.handler = loadHandler(consumer);
    this.description = `the handler of ${consumer.name} in this process`;
  }

  invoke(event: KafkaEvent): Promise<KafkaBatchResponse> {
    return this.handler(event);
  }

  close(): Promise<void> {
    return this.handler.close();
  }
}

/**
 * The group's deployed function on AWS (`<stack>-<group>`), invoked synchronously with the
 * rebuilt MSK event, as its event source mapping would invoke it.
 *
 * @example
 * const fn = new LambdaGroupFunction("prod-notify-customer");
 */
export class LambdaGroupFunction implements GroupFunction {
  readonly description: string;

  constructor(
    private readonly functionName: string,
    private readonly client: LambdaClient = new LambdaClient({}),
  ) {
    this.description = `Lambda function ${functionName}`;
  }

  async invoke(event: KafkaEvent): Promise<KafkaBatchResponse | void> {
    const output = await this.client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const text = output.Payload ? Buffer.from(output.Payload).toString("utf8") : "";
    // An unhandled error in the function is a failed invocation, as the mapping would see it.
    if (output.FunctionError) {
      throw new GroupFunctionError(`${this.functionName} failed (${output.FunctionError}): ${text}. Its log group /aws/lambda/${this.functionName} has the stack trace.`);
    }
    return text && text !== "null" ? (JSON.parse(text) as KafkaBatchResponse) : undefined;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
