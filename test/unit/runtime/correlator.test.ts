import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, SFNServiceException } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { billing, shipping } from "../../../contexts";
import { correlatorHandler } from "../../../platform/runtime/correlator";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import type { KafkaBatchResponse } from "../../../platform/runtime/msk";
import { type Completion, SfnTaskCompleter, TASK_OUTPUT_MAX_BYTES, type TaskCompleter } from "../../../platform/runtime/task-completer";
import { InMemoryWaitStore } from "../../../platform/runtime/wait-store";
import { delivery, examples } from "../consumers/deliveries";

/** Records every completion, answering as it is told (Step Functions' side, without AWS). */
class RecordingCompleter implements TaskCompleter {
  readonly succeeded: { taskToken: string; output: unknown }[] = [];
  answer: (taskToken: string) => Completion | Error = () => "completed";

  async succeed(taskToken: string, output: unknown): Promise<Completion> {
    const answer = this.answer(taskToken);
    if (answer instanceof Error) throw answer;
    this.succeeded.push({ taskToken, output });
    return answer;
  }

  async fail(): Promise<Completion> {
    return "completed";
  }
}

const dispatch = (orderId: string, shipmentId = `shp-${orderId}`) => ({
  event: shipping.events.ShipmentDispatched,
  key: shipmentId,
  data: { ...examples.dispatched, orderId, shipmentId },
  state: "Dispatched",
  executionId: `arn:aws:states:eu-west-1:123456789012:execution:dev-shipping:${shipmentId}`,
});

const registration = (orderId: string, taskToken: string) => ({
  type: "shipping.ShipmentDispatched",
  eventKey: "$.orderId",
  key: orderId,
  timeoutSeconds: 604_800,
  taskToken,
  executionId: `arn:aws:states:eu-west-1:123456789012:execution:dev-billing:${orderId}`,
  state: "AwaitDispatch",
});

function correlator() {
  const completer = new RecordingCompleter();
  const store = new InMemoryWaitStore();
  const handler = correlatorHandler(billing, { store, completer, idempotency: new InMemoryPersistenceLayer() });
  return { handler, completer, store };
}

describe("billing's correlator", () => {
  it("completes a registered wait with the data of its order's dispatch, and no other wait", async () => {
    const { handler, completer } = correlator();
    expect(await handler(registration("o-1", "token-1"))).toEqual({ waiting: true });
    expect(await handler(registration("o-2", "token-2"))).toEqual({ waiting: true });

    expect(await handler(delivery([dispatch("o-1")]))).toEqual({ batchItemFailures: [] });

    expect(completer.succeeded).toEqual([{ taskToken: "token-1", output: dispatch("o-1").data }]);
  });

  it("keeps a dispatch that comes first, and completes the wait at once when it registers", async () => {
    const { handler, completer } = correlator();
    await handler(delivery([dispatch("o-3")]));
    expect(completer.succeeded).toEqual([]);

    expect(await handler(registration("o-3", "token-3"))).toEqual({ waiting: false, eventId: expect.any(String) });
    expect(completer.succeeded).toEqual([{ taskToken: "token-3", output: dispatch("o-3").data }]);
  });

  it("answers a wait once, whatever comes again: the same event redelivered, another dispatch of the order", async () => {
    const { handler, completer } = correlator();
    await handler(registration("o-4", "token-4"));
    await handler(delivery([dispatch("o-4")]));
    await handler(delivery([dispatch("o-4")]));
    await handler(delivery([dispatch("o-4", "shp-o-4-second")]));

    expect(completer.succeeded.map((c) => c.taskToken)).toEqual(["token-4"]);
  });

  it("forgets a wait Step Functions no longer has (timed out, closed) without failing the record or asking again", async () => {
    const { handler, completer } = correlator();
    completer.answer = () => "gone";
    await handler(registration("o-5", "token-5"));
    expect(await handler(delivery([dispatch("o-5")]))).toEqual({ batchItemFailures: [] });
    completer.answer = () => "completed";
    await handler(delivery([dispatch("o-5", "shp-o-5-again")]));

    expect(completer.succeeded.map((c) => c.taskToken)).toEqual(["token-5"]);
  });

  it("fails the record when Step Functions cannot be reached, and completes the wait on the redelivery", async () => {
    const { handler, completer } = correlator();
    await handler(registration("o-6", "token-6"));
    completer.answer = () => new SFNServiceException({ name: "ThrottlingException", $fault: "client", $metadata: {}, message: "Rate exceeded" });
    const failed = (await handler(delivery([dispatch("o-6")]))) as KafkaBatchResponse;
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: { partition: "shipping.events-0", offset: 0 } }]);

    completer.answer = () => "completed";
    expect(await handler(delivery([dispatch("o-6")]))).toEqual({ batchItemFailures: [] });
    expect(completer.succeeded.map((c) => c.taskToken)).toEqual(["token-6"]);
  });

  it("fails a registration with a named error when the execution has no value at the state key, or the state is not a wait", async () => {
    const { handler } = correlator();
    await expect(handler({ ...registration("o-7", "token-7"), key: null })).rejects.toMatchObject({
      name: "Ensemble.WaitKeyMissing",
      message: expect.stringContaining('Wait "AwaitDispatch" found no value at $.orderId'),
    });
    await expect(handler({ ...registration("o-7", "token-7"), state: "Issue" })).rejects.toMatchObject({ name: "RuntimeConfigError" });
  });

  it("fails a registration it cannot store with the error the wait state retries", async () => {
    const store = new InMemoryWaitStore();
    jest.spyOn(store, "register").mockRejectedValueOnce(new Error("ProvisionedThroughputExceededException"));
    const handler = correlatorHandler(billing, { store, completer: new RecordingCompleter(), idempotency: new InMemoryPersistenceLayer() });
    await expect(handler(registration("o-8", "token-8"))).rejects.toMatchObject({ name: "Ensemble.WaitRegistrationFailed" });
    expect(billing.workflow!.asl.States.AwaitDispatch!.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(["Ensemble.WaitRegistrationFailed"]) })]);
  });
});

describe("SfnTaskCompleter", () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  it("sends the output as JSON, and takes TaskTimedOut, InvalidToken and TaskDoesNotExist as a wait that is gone", async () => {
    const completer = new SfnTaskCompleter(new SFNClient({ region: "eu-west-1" }));
    sfn.on(SendTaskSuccessCommand, { taskToken: "ok" }).resolves({});
    for (const name of ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]) {
      sfn.on(SendTaskSuccessCommand, { taskToken: name }).rejects(new SFNServiceException({ name, $fault: "client", $metadata: {}, message: name }));
    }
    expect(await completer.succeed("ok", { orderId: "o-1" })).toBe("completed");
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: "ok", output: '{"orderId":"o-1"}' });
    for (const name of ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]) expect(await completer.succeed(name, {})).toBe("gone");
  });

  it("rethrows what a retry can fix, and names the IAM statement when access is denied", async () => {
    const completer = new SfnTaskCompleter(new SFNClient({ region: "eu-west-1" }));
    sfn.on(SendTaskSuccessCommand, { taskToken: "throttled" }).rejects(new SFNServiceException({ name: "ThrottlingException", $fault: "client", $metadata: {}, message: "Rate exceeded" }));
    sfn.on(SendTaskSuccessCommand, { taskToken: "denied" }).rejects(new SFNServiceException({ name: "AccessDeniedException", $fault: "client", $metadata: {}, message: "not authorized" }));
    await expect(completer.succeed("throttled", {})).rejects.toMatchObject({ name: "ThrottlingException" });
    await expect(completer.succeed("denied", {})).rejects.toThrow(/statement CompleteWaits, platform\/infra\/correlator-iam.ts/);
  });

  it("fails the wait with a named error instead of sending an output Step Functions would refuse", async () => {
    const completer = new SfnTaskCompleter(new SFNClient({ region: "eu-west-1" }));
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(await completer.succeed("big", { blob: "x".repeat(TASK_OUTPUT_MAX_BYTES) })).toBe("completed");
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: "big", error: "Ensemble.AwaitedEventTooLarge" });
  });
});
