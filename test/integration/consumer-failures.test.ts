import { Logger } from "@aws-lambda-powertools/logger";
import type { Admin, Producer } from "kafkajs";
import { toMskEvent } from "../../platform/local/event-source-mapping";
import { defineConsumer, names } from "../../platform/model";
import { type BatchStats, consume, type KafkaHandler, type RecordContext } from "../../platform/runtime/consumer";
import { DeadLetterHeaders, PoisonReason } from "../../platform/runtime/dead-letter";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { consumeUntil, createPartitioner, testKafka, uniqueName } from "../support/kafka";
import { createTopics, silentLogger, testContext } from "../support/runtime";

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

  type Message = { key: string; value: string | null; headers?: Record<string, string> };

  /** Sends records to the given partitions and reads them back as one MSK event, with each partition's first offset. */
  async function deliver(byPartition: Record<number, Message[]>) {
    const partitions = Object.keys(byPartition).map(Number);
    const highs = await admin.fetchTopicOffsets(topic);
    const start = new Map(partitions.map((p) => [p, Number(highs.find((h) => h.partition === p)!.high)]));
    const messages = partitions.flatMap((p) => byPartition[p]!.map((m) => ({ ...m, partition: p })));
    await producer.send({ topic, acks: -1, messages });
    const reader = kafka.consumer({ groupId: uniqueName("reader") });
    await reader.connect();
    const total = highs.reduce((sum, h) => sum + Number(h.high), 0) + messages.length;
    const received = (await consumeUntil(reader, topic, total)).filter(
      (r) => start.has(r.partition) && Number(r.message.offset) >= start.get(r.partition)!,
    );
    await reader.disconnect();
    expect(received).toHaveLength(messages.length);
    // One event, as a mapping delivers records of several partitions in one batch.
    const event = toMskEvent(partitions.map((p) => ({ topic, partition: p, messages: received.filter((r) => r.partition === p).map((r) => r.message) })));
    return { event, start };
  }

  /** Sends records to partition 0 and reads them back as one MSK event. */
  async function deliverToPartitionZero(messages: Message[]) {
    const { event, start } = await deliver({ 0: messages });
    return { event, start: start.get(0)! };
  }

  it("sends each kind of malformed record to the dead-letter topic with its reason, skips unsubscribed types, and handles the valid ones", async () => {
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
      { ...schemaInvalid, reason: PoisonReason.SchemaInvalid },
      { key: "e1", value: null, headers: CE_JSON, reason: PoisonReason.EmptyValue },
    ];
    // Valid records before, between and after the poison ones; a type the group does not subscribe to is skipped.
    const batch = [valid("e1", 0), ...poison.slice(0, 2), unknownType, valid("e1", 1), ...poison.slice(2), valid("e1", 2)];

    // Act
    const { event, start } = await deliverToPartitionZero(batch.map(({ key, value, headers }) => ({ key, value, headers })));
    const response = await handler(event);

    // Assess: the batch went on; nothing is retried
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual([0, 1, 2]);
    expect(stats).toEqual([
      expect.objectContaining({
        handled: 3,
        deadLettered: 4,
        filtered: 1,
        failed: 0,
        deadLetterReasons: { "not-json": 1, "not-cloudevent": 1, "schema-invalid": 1, "empty-value": 1 },
        filterReasons: { "not-subscribed": 1 },
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
    expect(header(dead[2]!, DeadLetterHeaders.Detail)).toMatch(new RegExp(`^${context.name}\\.StepReached data: step: `));
  });

  it("reports the record a handler throws on and every later record of its partition, and handles the other partitions", async () => {
    // Prepare
    const group = uniqueName("failing-group");
    await createTopics(admin, context.name, [group]);
    const consumer = defineConsumer({ name: group, on: [context.events.StepReached] });
    const attempted: string[] = [];
    const contexts = new Map<string, RecordContext>();
    const stats: BatchStats[] = [];
    const handler = track(consume(
      consumer,
      (event, context) => {
        attempted.push(`${event.data.entityId}:${event.data.step}`);
        contexts.set(`${event.data.entityId}:${event.data.step}`, context);
        if (event.data.entityId === "e2" && event.data.step === 2) throw new Error("payment service unavailable");
      },
      { kafka, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer(), onBatch: (s) => stats.push(s) },
    ));

    // Act: partition 0 fails at its third record; partition 1's record is in the same batch
    const { event, start } = await deliver({ 0: [0, 1, 2, 3, 4].map((step) => valid("e2", step)), 1: [valid("e3", 7)] });
    const first = await handler(event);
    // What Lambda does next, under either reading: retry partition 0 from the failed record (partition 1 is done).
    const zero = start.get(0)!;
    const retry = { ...event, records: { [`${topic}-0`]: event.records[`${topic}-0`]!.filter((r) => r.offset >= zero + 2) } };
    const second = await handler(retry);

    // Assess: partition 0's failed record and the two after it are reported; partition 1's record was handled
    const open = [2, 3, 4].map((i) => ({ itemIdentifier: { partition: `${topic}-0`, offset: zero + i } }));
    expect(first).toEqual({ batchItemFailures: open });
    expect(stats[0]).toMatchObject({ handled: 3, failed: 1, skipped: 2, deadLettered: 0 });
    expect(second).toEqual({ batchItemFailures: open });
    expect(attempted.filter((a) => a.startsWith("e2:"))).toEqual(["e2:0", "e2:1", "e2:2", "e2:2"]);
    expect(attempted.filter((a) => a.startsWith("e3:"))).toEqual(["e3:7"]);

    // Assess: the handler's context names the record, the group and the publishing execution
    const other = contexts.get("e3:7")!;
    expect(other).toMatchObject({
      group,
      correlationId: "arn:aws:states:eu-west-1:1:execution:sm:e3",
      record: { topic, partition: 1, offset: start.get(1)!, key: "e3" },
    });
    expect(contexts.get("e2:1")).toMatchObject({ record: { topic, partition: 0, offset: zero + 1, key: "e2" } });
    expect(other.logger).toBeInstanceOf(Logger);
    expect(other.logger.getPersistentLogAttributes()).toMatchObject({ eventType: context.events.StepReached.type, correlationId: other.correlationId });
  });
});
