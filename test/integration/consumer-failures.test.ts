import type { Admin, Producer } from "kafkajs";
import { defineConsumer, names } from "../../platform/model";
import { type BatchStats, consume, type KafkaHandler } from "../../platform/runtime/consumer";
import { DeadLetterHeaders, PoisonReason } from "../../platform/runtime/dead-letter";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { consumeUntil, createPartitioner, testKafka, uniqueName } from "../support/kafka";
import { createTopics, mskBatches, silentLogger, testContext } from "../support/runtime";

const CE_JSON = { "content-type": "application/cloudevents+json; charset=utf-8" };

describe("the consumer wrapper on a real broker", () => {
  const kafka = testKafka("consumer-failures");
  const context = testContext();
  const topic = names.contextTopic(context.name);
  let admin: Admin;
  let producer: Producer;

  const valid = (entity: string, step: number) =>
    toKafkaRecord(
      toCloudEvent({
        event: context.events.StepReached,
        key: entity,
        data: { entityId: entity, step },
        executionId: `arn:aws:states:eu-west-1:1:execution:sm:${entity}`,
        state: `Step${step}`,
      }),
    );

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  });

  // Handlers keep a dead-letter connection open: close them even when a test fails.
  const handlers: KafkaHandler[] = [];
  const track = (handler: KafkaHandler) => (handlers.push(handler), handler);
  afterEach(async () => {
    await Promise.all(handlers.splice(0).map((h) => h.close()));
  });

  /** Sends records to a fresh topic partition 0 and reads them back as one MSK event. */
  async function deliverToPartitionZero(messages: { key: string; value: string | null; headers?: Record<string, string> }[]) {
    const start = Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)!.high);
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    const reader = kafka.consumer({ groupId: uniqueName("reader") });
    await reader.connect();
    const received = (await consumeUntil(reader, topic, start + messages.length)).filter(
      (r) => r.partition === 0 && Number(r.message.offset) >= start,
    );
    await reader.disconnect();
    expect(received).toHaveLength(messages.length);
    const [event] = mskBatches(topic, received, 10_000);
    return { event: event!, start };
  }

  it("sends each kind of malformed record to the dead-letter topic with its reason, and handles the valid ones", async () => {
    // Prepare
    const group = uniqueName("poison-group");
    await createTopics(admin, context.name, [group]);
    const consumer = defineConsumer({ name: group, on: [context.events.StepReached] });
    const handled: number[] = [];
    const stats: BatchStats[] = [];
    const handler = track(consume(consumer, (event) => void handled.push(event.data.step), {
      kafka,
      logger: silentLogger(),
      idempotency: new InMemoryPersistenceLayer(),
      onBatch: (s) => stats.push(s),
    }));
    const unknownType = toKafkaRecord(
      toCloudEvent({ event: context.events.Finished, key: "e1", data: { entityId: "e1", steps: 1 }, executionId: "x", state: "Done" }),
    );
    const wellFormed = valid("e1", 9);
    const schemaInvalid = { ...wellFormed, value: wellFormed.value.replace('"step":9', '"step":-1') };
    const poison = [
      { key: "e1", value: "this is not JSON", headers: CE_JSON, reason: PoisonReason.NotJson },
      { key: "e1", value: JSON.stringify({ hello: "world" }), headers: CE_JSON, reason: PoisonReason.NotCloudEvent },
      { ...unknownType, reason: PoisonReason.UnknownType },
      { ...schemaInvalid, reason: PoisonReason.SchemaInvalid },
      { key: "e1", value: null, headers: CE_JSON, reason: PoisonReason.EmptyValue },
    ];
    // Valid records before, between and after the poison ones.
    const batch = [valid("e1", 0), ...poison.slice(0, 3), valid("e1", 1), ...poison.slice(3), valid("e1", 2)];

    // Act
    const { event, start } = await deliverToPartitionZero(batch.map(({ key, value, headers }) => ({ key, value, headers })));
    const response = await handler(event);

    // Assess: the batch went on; nothing is retried
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual([0, 1, 2]);
    expect(stats).toEqual([
      expect.objectContaining({
        handled: 3,
        deadLettered: 5,
        failed: 0,
        deadLetterReasons: { "not-json": 1, "not-cloudevent": 1, "unknown-type": 1, "schema-invalid": 1, "empty-value": 1 },
      }),
    ]);

    // Assess: the dead-letter topic holds each poison record, unchanged, with reason and origin
    const dlqReader = kafka.consumer({ groupId: uniqueName("dlq-reader") });
    await dlqReader.connect();
    const dead = await consumeUntil(dlqReader, names.deadLetterTopic(group), poison.length);
    await dlqReader.disconnect();
    const header = (r: (typeof dead)[number], name: string) => r.message.headers?.[name]?.toString();
    expect(dead.map((r) => header(r, DeadLetterHeaders.Reason))).toEqual(poison.map((p) => p.reason));
    expect(dead.map((r) => r.message.value?.toString() ?? null)).toEqual(poison.map((p) => p.value));
    const offsets = batch.flatMap((record, index) => ("reason" in record ? [String(start + index)] : []));
    expect(dead.map((r) => header(r, DeadLetterHeaders.SourceOffset))).toEqual(offsets);
    for (const record of dead) {
      expect(header(record, DeadLetterHeaders.SourceTopic)).toBe(topic);
      expect(header(record, DeadLetterHeaders.SourcePartition)).toBe("0");
      expect(header(record, DeadLetterHeaders.Group)).toBe(group);
      expect(header(record, DeadLetterHeaders.Detail)).toBeTruthy();
      expect(record.message.key?.toString()).toBe("e1");
    }
    expect(header(dead[3]!, DeadLetterHeaders.Detail)).toMatch(new RegExp(`^${context.name}\\.StepReached data: step: `));
  });

  it("reports exactly the record a handler throws on, and leaves the rest of its partition for the retry", async () => {
    // Prepare
    const group = uniqueName("failing-group");
    await createTopics(admin, context.name, [group]);
    const consumer = defineConsumer({ name: group, on: [context.events.StepReached] });
    const attempted: number[] = [];
    const stats: BatchStats[] = [];
    const handler = track(consume(
      consumer,
      (event) => {
        attempted.push(event.data.step);
        if (event.data.step === 2) throw new Error("payment service unavailable");
      },
      { kafka, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer(), onBatch: (s) => stats.push(s) },
    ));

    // Act
    const { event, start } = await deliverToPartitionZero([0, 1, 2, 3, 4].map((step) => valid("e2", step)));
    const first = await handler(event);
    // What Lambda does next: resume the partition from the reported offset.
    const retry = { ...event, records: { [`${topic}-0`]: event.records[`${topic}-0`]!.filter((r) => r.offset >= start + 2) } };
    const second = await handler(retry);

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: start + 2 } }] });
    expect(stats[0]).toMatchObject({ handled: 2, failed: 1, skipped: 2, deadLettered: 0 });
    expect(second).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: start + 2 } }] });
    expect(attempted).toEqual([0, 1, 2, 2]);
  });
});
