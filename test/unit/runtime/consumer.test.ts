import { Kafka } from "kafkajs";
import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { defineConsumer, defineContext, names } from "../../../platform/model";
import { consume, ConsumerInputError } from "../../../platform/runtime/consumer";
import { toCloudEvent, toKafkaRecord } from "../../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import { startsWorkflow } from "../../../platform/runtime/consumer-starts-workflow";
import { executionName, RecordingWorkflowStarter } from "../../../platform/runtime/workflow-starter";
import { silentLogger, testContext } from "../../support/runtime";

// Valid records never touch Kafka (only dead-lettering does), so no broker is needed here.
const noBroker = new Kafka({ brokers: ["127.0.0.1:1"] });
const source = testContext();
const target = defineContext({ name: "shipping", events: [] });

function deliveryOf(step: number, offset: number) {
  const record = toKafkaRecord(
    toCloudEvent({ event: source.events.StepReached, key: "e1", data: { entityId: "e1", step }, executionId: "arn:x:execution:sm:run", state: `Step${step}` }),
  );
  return toMskEvent([
    {
      topic: names.contextTopic(source.name),
      partition: 0,
      messages: [{ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers, offset: String(offset), timestamp: "1", attributes: 0 }],
    },
  ]);
}

describe("consume", () => {
  it("refuses an invocation that is not a Kafka event, naming the group", async () => {
    const handler = consume(defineConsumer({ name: "audit", on: [source.events.StepReached] }), () => {}, { kafka: noBroker, logger: silentLogger() });
    await expect(handler({ Records: [{ eventSource: "aws:sqs" }] })).rejects.toThrow(
      new ConsumerInputError(
        'Consumer group "audit" was invoked with something that is not a Kafka event (expected eventSource "aws:kafka" and records by topic-partition); check its event source mapping.',
      ),
    );
  });
});

describe("startsWorkflow", () => {
  const consumer = defineConsumer({ name: "start-shipping", on: [source.events.StepReached], startWorkflow: target });

  it("starts one execution per event, named after the event id, with the mapped input", async () => {
    // Prepare
    const starter = new RecordingWorkflowStarter();
    // A store per handler, as after a lost idempotency record: the execution name still dedupes.
    const handlerFor = () =>
      startsWorkflow(consumer, {
        starter,
        stateMachine: "shipping",
        input: (event) => ({ entity: event.data.entityId, step: event.data.step, correlationId: event.correlationId }),
        kafka: noBroker,
        logger: silentLogger(),
        idempotency: new InMemoryPersistenceLayer(),
      });

    // Act
    const first = await handlerFor()(deliveryOf(3, 10));
    const redelivered = await handlerFor()(deliveryOf(3, 10));

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(starter.requests).toHaveLength(2);
    expect(starter.started).toHaveLength(1);
    const eventId = JSON.parse(Buffer.from(deliveryOf(3, 10).records[`${source.name}.events-0`]![0]!.value, "base64").toString()).id as string;
    expect(starter.started[0]).toEqual({
      stateMachine: "shipping",
      name: executionName("start-shipping", eventId),
      input: { entity: "e1", step: 3, correlationId: "arn:x:execution:sm:run" },
      eventId,
      eventType: source.events.StepReached.type,
      group: "start-shipping",
    });
  });

  it("reports the record as failed when the workflow cannot be started, so it is retried", async () => {
    const starter = new RecordingWorkflowStarter({ fail: () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }) });
    const handler = startsWorkflow(consumer, { starter, stateMachine: "shipping", input: () => ({}), kafka: noBroker, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() });
    expect(await handler(deliveryOf(1, 42))).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: `${source.name}.events-0`, offset: 42 } }],
    });
  });

  it("refuses a consumer that declares no workflow", () => {
    const plain = defineConsumer({ name: "plain", on: [source.events.StepReached] });
    expect(() => startsWorkflow(plain, { input: () => ({}) })).toThrow('Consumer group "plain" declares no startWorkflow; add startWorkflow: <context> to its definition.');
  });

  it("loads without a state machine, and fails (and so retries) each record until it has one", async () => {
    // Prepare: as a bundle loads before the infra's environment is read
    const errors: string[] = [];
    const logger = Object.assign(silentLogger(), {});
    const handler = startsWorkflow(consumer, { input: () => ({}), kafka: noBroker, logger, idempotency: new InMemoryPersistenceLayer() });
    jest.spyOn(logger, "createChild").mockReturnValue(Object.assign(silentLogger(), { error: (message: string, extra: { error: Error }) => void errors.push(`${message}: ${extra.error.message}`) }) as never);

    // Act
    const response = await handler(deliveryOf(1, 7));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${source.name}.events-0`, offset: 7 } }] });
    expect(errors).toEqual([
      'handler failed; the record will be retried: Consumer group "start-shipping" starts context "shipping" but has no state machine: set ENSEMBLE_START_STATE_MACHINE_ARN (the infra does) or pass stateMachine.',
    ]);
  });
});
