/*
 * Injected: in one partition, two entities' events interleaved; the handler fails twice on one
 * record (a downstream that is briefly unavailable) and always on another (a record it can never
 * handle). Another partition carries a third entity that never fails. Retries: 2. Run under both
 * readings AWS's pages admit of a partial batch response (only the reported records come again,
 * or the partition resumes from the lowest reported one).
 *
 * Observed: the transient record succeeds on its third attempt; the always-failing record lands
 * on the group's dead-letter topic as exactly one on-failure record after its retries (AWS's
 * format: condition RetriesExhausted, the original record in `payload`, Ensemble's dead-letter
 * headers with the source coordinates); every other record is handled, each entity's in order,
 * each effect once (counted before deduplication); the other partition is never held up.
 * Figures: test-results/failure-retry-and-dead-letter.json.
 */
import { untilServed } from "../../platform/local/topics";
import type { Admin, Producer } from "kafkajs";
import { LocalEventSourceMapping, type MappingObserver, type OnFailureReason, PartialBatchReading, type RetryReport } from "../../platform/local/event-source-mapping";
import { defineConsumer, names } from "../../platform/model";
import { consume, type KafkaHandler } from "../../platform/runtime/consumer";
import { DeadLetterHeaders } from "../../platform/runtime/dead-letter";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { consumeUntil, createPartitioner } from "../support/kafka";
import { recordCount, silentLogger, testContext } from "../support/runtime";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { tally } from "./support/effects";
import { FigureFile } from "./support/figures";

jest.setTimeout(90_000);

describe("a transiently failing handler and one that always fails for a record", () => {
  const figures = new FigureFile("retry-and-dead-letter", { injected: "a record failing twice, and one failing always (retries: 2)" });
  let broker: OwnedBroker;
  let admin: Admin;
  let producer: Producer;
  let handler: KafkaHandler | undefined;
  let mapping: LocalEventSourceMapping | undefined;

  beforeAll(async () => {
    broker = await OwnedBroker.start("retry-dlq");
    const kafka = broker.kafka("retry-dlq");
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterEach(async () => {
    await mapping?.stop();
    await handler?.close();
  });

  afterAll(async () => {
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
    await broker?.destroy();
  });

  const step = (context: ReturnType<typeof testContext>, entity: string, n: number) =>
    toKafkaRecord(
      toCloudEvent({
        event: context.events.StepReached,
        key: entity,
        data: { entityId: entity, step: n },
        executionId: `arn:aws:states:local:000000000000:execution:failure:${entity}`,
        state: `Step${n}`,
      }),
    );

  it.each(Object.values(PartialBatchReading))("retries the transient one to success, dead-letters the other after its retries, and every entity flows on in order (%s)", async (partialBatchReading) => {
    // Prepare: partition 0 interleaves a and c; partition 1 holds b; a topic and group of this run's own
    const context = testContext();
    const topic = names.contextTopic(context.name);
    const group = `retry-dlq-${runId()}`;
    const dlq = names.deadLetterTopic(group);
    await admin.createTopics({ topics: [topic, dlq].map((name) => ({ topic: name, numPartitions: 2 })) });
    await untilServed(admin, [topic, dlq]);
    const STEPS = 8;
    const partition0 = Array.from({ length: STEPS }, (_, n) => [step(context, "a", n), step(context, "c", n)]).flat();
    const partition1 = Array.from({ length: STEPS }, (_, n) => step(context, "b", n));
    await producer.send({ topic, acks: -1, messages: [...partition0.map((m) => ({ ...m, partition: 0 })), ...partition1.map((m) => ({ ...m, partition: 1 }))] });
    const transient = "a/2";
    const poison = "c/3";
    const poisonOffset = partition0.findIndex((m) => m.key === "c" && m.value.includes('"step":3'));

    const attempts = new Map<string, number>();
    const effects: { id: string; entity: string; step: number; partition: number; offset: number }[] = [];
    const consumer = defineConsumer({ name: group, on: [context.events.StepReached], retries: 2, batch: { size: 4 } });
    handler = consume(
      consumer,
      (event, { record }) => {
        const id = `${event.data.entityId}/${event.data.step}`;
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (id === transient && attempts.get(id)! <= 2) throw new Error("inventory service unavailable (503)");
        if (id === poison) throw new Error("step 3 of c refers to a warehouse that does not exist");
        effects.push({ id: event.id, entity: event.data.entityId, step: event.data.step, partition: record.partition, offset: record.offset });
      },
      { kafka: broker.kafka("retry-dlq-handler"), logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() },
    );
    const signal = new Signal();
    const retries: RetryReport[] = [];
    const onFailure: { offset: number; partition: number; reason: OnFailureReason }[] = [];
    const committed = new Map<number, number>();
    const invocationsOfPoison = { count: 0 };
    const delivered: string[] = [];
    const observer: MappingObserver = {
      onDelivered: (records) => {
        invocationsOfPoison.count += records.filter((r) => r.partition === 0 && r.offset === poisonOffset).length;
        delivered.push(...records.map((r) => `${r.partition}/${r.offset}`));
      },
      onRetry: (retry) => (retries.push(retry), signal.notify()),
      onFailureDestination: (records, reason) => (onFailure.push(...records.map((r) => ({ offset: r.offset, partition: r.partition, reason }))), signal.notify()),
      onCommit: ({ partition, offset }) => (committed.set(partition, offset), signal.notify()),
    };
    mapping = new LocalEventSourceMapping({
      kafka: broker.kafka("retry-dlq-mapping"),
      group,
      groupId: names.consumerGroupId("failure", group, context.name),
      topic,
      handler,
      batchSize: consumer.batch.size,
      retries: consumer.retries,
      bisectOnError: consumer.bisectOnError,
      maxPollers: 2,
      onFailureTopic: dlq,
      partialBatchReading,
      observer,
    });

    // Act
    await mapping.start();
    await signal.until(() => committed.get(0) === partition0.length && committed.get(1) === partition1.length, "both partitions committed to their end", 30_000, () => Object.fromEntries(committed));

    // Assess: the transient record succeeded on its third attempt; the poison one used its 2 retries
    const aOffset = partition0.findIndex((m) => m.key === "a" && m.value.includes('"step":2'));
    const a3Offset = partition0.findIndex((m) => m.key === "a" && m.value.includes('"step":3'));
    expect(attempts.get(transient)).toBe(3);
    if (partialBatchReading === PartialBatchReading.FailedRecordsOnly) {
      // Each reported record is retried on its own count: a/2, a/3 (held behind it) and c/3.
      expect(attempts.get(poison)).toBe(3);
      expect(retries.map((r) => [r.partition, r.offset, r.retry, r.cause])).toEqual(
        [1, 2].flatMap((retry) => [aOffset, a3Offset, poisonOffset].map((offset) => [0, offset, retry, "batch-item-failure"])),
      );
    } else {
      // Retries start from the lowest reported record: a/2's two, then c/3's; c/3 also ran in a/2's retries.
      expect(attempts.get(poison)).toBe(5);
      expect(retries.map((r) => [r.partition, r.offset, r.retry, r.cause])).toEqual([
        [0, aOffset, 1, "batch-item-failure"],
        [0, aOffset, 2, "batch-item-failure"],
        [0, poisonOffset, 1, "batch-item-failure"],
        [0, poisonOffset, 2, "batch-item-failure"],
      ]);
    }
    expect(onFailure).toEqual([{ partition: 0, offset: poisonOffset, reason: "retries-exhausted" }]);

    // Assess: every other record was handled, each entity's steps in order, each effect once; partition 1 in full
    const stepsOf = (entity: string) => effects.filter((e) => e.entity === entity).map((e) => e.step);
    expect(stepsOf("a")).toEqual([...Array(STEPS).keys()]);
    expect(stepsOf("c")).toEqual([...Array(STEPS).keys()].filter((n) => n !== 3));
    expect(stepsOf("b")).toEqual([...Array(STEPS).keys()]);
    expect(effects.filter((e) => e.entity === "b").every((e) => e.partition === 1)).toBe(true);
    expect(tally(effects.map((e) => e.id)).repeated).toEqual([]);
    expect(effects).toHaveLength(partition0.length + partition1.length - 1);
    expect(await mapping.lag()).toBe(0);

    // Assess: the dead-letter topic holds exactly the on-failure record of the poison record
    const reader = broker.kafka("retry-dlq-reader").consumer({ groupId: `reader-${runId()}` });
    await reader.connect();
    const dead = await consumeUntil(reader, dlq, 1, 30_000);
    await reader.disconnect();
    expect(await recordCount(admin, dlq)).toBe(1);
    const { message } = dead[0]!;
    const header = (name: string) => message.headers?.[name]?.toString();
    expect(message.key?.toString()).toBe("c");
    expect({
      reason: header(DeadLetterHeaders.Reason),
      detail: header(DeadLetterHeaders.Detail),
      group: header(DeadLetterHeaders.Group),
      topic: header(DeadLetterHeaders.SourceTopic),
      partition: header(DeadLetterHeaders.SourcePartition),
      offset: header(DeadLetterHeaders.SourceOffset),
    }).toEqual({ reason: "retries-exhausted", detail: "reported in batchItemFailures", group, topic, partition: "0", offset: String(poisonOffset) });
    const document = JSON.parse(message.value!.toString()) as Record<string, any>;
    // Every invocation that carried the record counts, not only those it failed (here 3).
    expect(invocationsOfPoison.count).toBeGreaterThanOrEqual(3);
    expect(document.requestContext).toEqual({
      requestId: expect.any(String),
      functionArn: expect.stringContaining(`function:${group}`),
      condition: "RetriesExhausted",
      approximateInvokeCount: invocationsOfPoison.count,
    });
    expect(document.responseContext).toEqual({ statusCode: 200, executedVersion: "$LATEST" });
    figures.set(partialBatchReading, {
      published: partition0.length + partition1.length,
      deliveries: delivered.length,
      redeliveries: delivered.length - new Set(delivered).size,
      handlerRuns: [...attempts.values()].reduce((sum, n) => sum + n, 0),
      effects: effects.length,
      deadLettered: onFailure.length,
    });
    expect(document.KafkaBatchInfo).toMatchObject({ batchSize: 1, recordInfo: { offset: String(poisonOffset) } });
    const original = partition0[poisonOffset]!;
    expect(document.payload.records).toEqual({
      [`${topic}-0`]: [
        {
          topic,
          partition: 0,
          offset: poisonOffset,
          timestamp: expect.any(Number),
          timestampType: "CREATE_TIME",
          key: Buffer.from("c").toString("base64"),
          value: Buffer.from(original.value).toString("base64"),
          headers: Object.entries(original.headers).map(([name, value]) => ({ [name]: [...Buffer.from(value)] })),
        },
      ],
    });
  });
});
