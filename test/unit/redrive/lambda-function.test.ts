import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { GroupFunctionError, LambdaGroupFunction, RedriveError } from "../../../platform/redrive";
import type { KafkaEvent } from "../../../platform/runtime/msk";

const event: KafkaEvent = { eventSource: "aws:kafka", eventSourceArn: "arn:aws:kafka:eu-west-1:1:cluster/c/u", bootstrapServers: "b:9098", records: {} };

describe("LambdaGroupFunction, the redrive's AWS adapter", () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it("invokes the group's function synchronously with the event and returns its batch response", async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify({ batchItemFailures: [] })) as never });

    // Act
    const response = await new LambdaGroupFunction("prod-notify-customer", new LambdaClient({})).invoke(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const [call] = lambda.commandCalls(InvokeCommand);
    expect({ ...call!.args[0].input, Payload: JSON.parse(Buffer.from(call!.args[0].input.Payload as Uint8Array).toString()) }).toEqual({
      FunctionName: "prod-notify-customer",
      InvocationType: "RequestResponse",
      Payload: event,
    });
  });

  it("rejects when the function failed with an unhandled error, naming it", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: "Unhandled", Payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}') as never });
    const error = await new LambdaGroupFunction("prod-notify-customer", new LambdaClient({})).invoke(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupFunctionError);
    expect(error).toBeInstanceOf(RedriveError);
    expect(error).toMatchObject({
      name: "GroupFunctionError",
      message: 'prod-notify-customer failed (Unhandled): {"errorType":"Error","errorMessage":"boom"}. Its log group /aws/lambda/prod-notify-customer has the stack trace.',
    });
  });

  it("treats an empty answer as a fully handled batch", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from("null") as never });
    await expect(new LambdaGroupFunction("prod-notify-customer", new LambdaClient({})).invoke(event)).resolves.toBeUndefined();
  });
});
