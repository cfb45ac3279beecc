/*
 * The bad-input table, row by row, through the emulated event source mapping (the infra's filter
 * patterns) and the real consumer wrapper: every kind of bad record in one partition, between
 * valid ones. Each row has a named outcome — delivered, filtered and counted, or dead-lettered
 * with a reason — and none of them holds up the partition: there is not a single retry.
 */
import type { Admin, Message, Producer } from "kafkajs";
import { filterPatterns } from "../../platform/infra/consumer-group";
import { type DeliveredRecord, LocalEventSourceMapping, type OnFailureReason } from "../../platform/local/event-source-mapping";
import { DEAD_LETTER_PREFIX_BYTES, DeadLetterHeaders, defineConsumer, names, TOPIC_MAX_MESSAGE_BYTES } from "../../platform/model";
import { type BatchStats, consume } from "../../platform/runtime/consumer";
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { recordBatchBytes } from "../../platform/runtime/record-size";
import { consumeUntil, createPartitioner, testKafka, uniqueName } from "../support/kafka";
import { createTopics, silentLogger, testContext } from "../support/runtime";
import { Signal } from "../support/wait";

jest.setTimeout(60_000);

const HOUR = 3_600_000;

describe("the bad-input table, through the event source mapping", () => {
  const kafka = testKafka("bad-input");
  const context = testContext();
  const { StepReached, Finished } = context.events;
  const topic = names.contextTopic(context.name);
  const group = uniqueName("bad-input");
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    await createTopics(admin, context.name, [group]);
  });

  afterAll(async () => {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  });

  const event = (n: number, data: unknown = { entityId: "e1", step: n }) =>
    toCloudEvent({ event: StepReached, key: "e1", data, executionId: "arn:aws:states:local:000000000000:execution:bad:e1", state: `Step${n}` });
  const structured = (body: Record<string, unknown>, contentType = CLOUDEVENTS_CONTENT_TYPE): Message => ({
    key: "e1",
    value: JSON.stringify(body),
    headers: { "content-type": contentType },
  });
  const valid = (n: number): Message => toKafkaRecord(event(n));
  const attributes = (n: number) => JSON.parse(toKafkaRecord(event(n)).value) as Record<string, unknown>;
  const without = (n: number, name: string) => structured(Object.fromEntries(Object.entries(attributes(n)).filter(([key]) => key !== name)));
  const binary = (n: number, type: string): Message => ({
    key: "e1",
    value: JSON.stringify({ entityId: "e1", step: n }),
    headers: { ce_specversion: "1.0", ce_id: `binary-${n}-${group}`, ce_source: "partner", ce_type: type, "content-type": "application/json" },
  });

  /** A schema-invalid event whose record is within 100 bytes of the topic's limit: its dead-letter copy could not fit. */
  function nearTheLimit(n: number): Message {
    const sized = (length: number) => toKafkaRecord(event(n, { entityId: "x".repeat(length), step: -1 }));
    const length = TOPIC_MAX_MESSAGE_BYTES - 2_000;
    return sized(length + TOPIC_MAX_MESSAGE_BYTES - 100 - recordBatchBytes(sized(length)));
  }

  /** Each row: a record, and what must become of it. */
  const rows: { input: string; message: Message; outcome: string }[] = [
    { input: "a valid event (step 0)", message: valid(0), outcome: "delivered" },
    { input: "not JSON", message: { key: "e1", value: "this is not JSON", headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE } }, outcome: "filtered" },
    { input: "a valid event (step 1)", message: valid(1), outcome: "delivered" },
    { input: "an empty value", message: { key: "e1", value: "", headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE } }, outcome: "filtered" },
    { input: "a null value (tombstone)", message: { key: "e1", value: null }, outcome: "filtered" },
    { input: "a wrong content-type (text/plain)", message: structured(attributes(9), "text/plain"), outcome: "dead-lettered: not-cloudevent" },
    { input: "binary mode (ce_ headers)", message: binary(2, StepReached.type), outcome: "delivered" },
    { input: "no id", message: without(10, "id"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no source", message: without(11, "source"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no specversion", message: without(12, "specversion"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no type", message: without(13, "type"), outcome: "dead-lettered: not-cloudevent" },
    { input: "an unknown type (structured)", message: structured({ ...attributes(14), type: `${context.name}.Bogus` }), outcome: "filtered" },
    { input: "a type the group does not subscribe to (binary)", message: binary(15, Finished.type), outcome: "filtered by the wrapper" },
    { input: "a schema mismatch", message: toKafkaRecord(event(16, { entityId: "e1", step: -1 })), outcome: "dead-lettered: schema-invalid" },
    { input: "the id of step 0 with a different payload", message: structured({ ...attributes(0), data: { entityId: "e1", step: 99 } }), outcome: "dead-lettered: id-conflict" },
    { input: "an oversized record (within 100 bytes of 1 MiB, schema mismatch)", message: nearTheLimit(17), outcome: "dead-lettered: schema-invalid (reference)" },
    { input: "a record older than MaximumRecordAgeInSeconds", message: { ...valid(18), timestamp: String(Date.now() - 2 * HOUR) }, outcome: "on-failure: record-too-old" },
    { input: "a valid event (step 3)", message: valid(3), outcome: "delivered" },
  ];

  it("gives every row its named outcome, and holds up nothing after it", async () => {
    // Prepare: every row on partition 0, in order (the oversized one alone in its request)
    for (const row of rows) await producer.send({ topic, acks: -1, messages: [{ ...row.message, partition: 0 }] });
    const handled: { step: number; mode: string; offset: number }[] = [];
    const stats: BatchStats[] = [];
    const handler = consume(defineConsumer({ name: group, on: [StepReached] }), (received, { record }) => void handled.push({ step: received.data.step, mode: received.mode, offset: record.offset }), {
      kafka,
      logger: silentLogger(),
      idempotency: new InMemoryPersistenceLayer(),
      onBatch: (s) => stats.push(s),
    });
    const signal = new Signal();
    const filtered: DeliveredRecord[] = [];
    const onFailure: { offset: number; reason: OnFailureReason }[] = [];
    const invocations: { outcome: string; offsets: number[] }[] = [];
    let retries = 0;
    let committed = 0;
    const mapping = new LocalEventSourceMapping({
      kafka,
      group,
      groupId: names.consumerGroupId("bad", group, context.name),
      topic,
      handler,
      filters: filterPatterns([StepReached.type]),
      maxRecordAgeSeconds: 60,
      onFailureTopic: names.deadLetterTopic(group),
      observer: {
        onFiltered: (records) => filtered.push(...records),
        onFailureDestination: (records, reason) => onFailure.push(...records.map((r) => ({ offset: r.offset, reason }))),
        onInvoked: (report) => invocations.push({ outcome: report.outcome, offsets: report.records.map((r) => r.offset) }),
        onRetry: () => void retries++,
        onCommit: ({ partition, offset }) => (partition === 0 && (committed = offset), signal.notify()),
      },
    });

    // Act
    try {
      await mapping.start();
      await signal.until(() => committed === rows.length, `partition 0 committed to ${rows.length}`, 45_000, () => ({ committed, invocations, retries, onFailure, filtered: filtered.map((r) => r.offset) }));
    } finally {
      await mapping.stop();
      await handler.close();
    }
    const dlq = kafka.consumer({ groupId: uniqueName("bad-input-dlq") });
    await dlq.connect();
    const dead = await consumeUntil(dlq, names.deadLetterTopic(group), rows.filter((row) => /^(dead-lettered|on-failure)/.test(row.outcome)).length, 30_000);
    await dlq.disconnect();

    // Assess: what became of each row
    const header = (headers: Record<string, unknown> | undefined, name: string) => headers?.[name]?.toString();
    const deadByOffset = new Map(dead.map((record) => [Number(header(record.message.headers, DeadLetterHeaders.SourceOffset)), record.message]));
    const wrapperFiltered = stats.reduce((sum, s) => sum + s.filtered, 0);
    const outcomeOf = (offset: number): string => {
      const message = deadByOffset.get(offset);
      if (message) {
        const reason = header(message.headers, DeadLetterHeaders.Reason)!;
        if (onFailure.some((f) => f.offset === offset)) return `on-failure: ${reason}`;
        return `dead-lettered: ${reason}${header(message.headers, DeadLetterHeaders.Reference) ? " (reference)" : ""}`;
      }
      if (filtered.some((r) => r.offset === offset)) return "filtered";
      return handled.some((h) => h.offset === offset) ? "delivered" : "filtered by the wrapper";
    };
    expect(rows.map((row, offset) => ({ input: row.input, outcome: outcomeOf(offset) }))).toEqual(rows.map(({ input, outcome }) => ({ input, outcome })));
    expect(handled.map(({ step, mode }) => ({ step, mode }))).toEqual([
      { step: 0, mode: "structured" },
      { step: 1, mode: "structured" },
      { step: 2, mode: "binary" },
      { step: 3, mode: "structured" },
    ]);
    // Filtered rows are counted: by the mapping (what MSK's filter drops), and by the wrapper (binary mode).
    expect(filtered.map((r) => r.offset)).toEqual([1, 3, 4, 11]);
    expect(wrapperFiltered).toBe(1);

    // Assess: no row held up the partition — no retry, no failed invocation, one attempt each
    expect(retries).toBe(0);
    expect(invocations.every((i) => i.outcome === "succeeded")).toBe(true);
    const invoked = invocations.flatMap((i) => i.offsets);
    expect(new Set(invoked).size).toBe(invoked.length);

    // Assess: the reference of the oversized row fits the topic and says where the record is
    const reference = deadByOffset.get(15)!;
    expect((reference.value as Buffer).length).toBe(DEAD_LETTER_PREFIX_BYTES);
    expect(header(reference.headers, DeadLetterHeaders.SourceTopic)).toBe(topic);
    expect(header(reference.headers, DeadLetterHeaders.Detail)).toMatch(/too large to copy, dead-lettered as a reference to .*\.events 0@15\)$/);
  });
});
