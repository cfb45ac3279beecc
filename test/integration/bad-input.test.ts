/*
 * The bad-input table, row by row, through the emulated event source mapping (the infra's filter
 * patterns) and the real consumer wrapper: every kind of bad record in one partition, between
 * valid ones. Each row has a named outcome — delivered, filtered and counted, or dead-lettered
 * with a reason — and none of them holds up the partition: there is not a single retry. The
 * rows run together, once, in beforeAll; each row's outcome is a test of its own.
 */
import type { Admin, KafkaMessage, Message, Producer } from "kafkajs";
import { filterPatterns } from "../../platform/model/consumer-group-plan";
import { type DeliveredRecord, LocalEventSourceMapping, type OnFailureReason } from "../../platform/local/event-source-mapping";
import { DeadLetterHeaders, defineConsumer, names, TOPIC_MAX_MESSAGE_BYTES } from "../../platform/model";
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

  /** A schema-invalid event whose record is within 100 bytes of the topic's limit. */
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
    { input: "a wrong content-type (a structured event labelled text/plain)", message: structured(attributes(9), "text/plain"), outcome: "dead-lettered: not-cloudevent" },
    { input: "binary mode (ce_ headers)", message: binary(2, StepReached.type), outcome: "delivered" },
    { input: "no id", message: without(10, "id"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no source", message: without(11, "source"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no specversion", message: without(12, "specversion"), outcome: "dead-lettered: not-cloudevent" },
    { input: "no type", message: without(13, "type"), outcome: "dead-lettered: not-cloudevent" },
    { input: "an unknown type (structured)", message: structured({ ...attributes(14), type: `${context.name}.Bogus` }), outcome: "filtered" },
    { input: "a type the group does not subscribe to (binary)", message: binary(15, Finished.type), outcome: "filtered by the wrapper" },
    { input: "a schema mismatch", message: toKafkaRecord(event(16, { entityId: "e1", step: -1 })), outcome: "dead-lettered: schema-invalid" },
    { input: "the id of step 0 with a different payload", message: structured({ ...attributes(0), data: { entityId: "e1", step: 99 } }), outcome: "dead-lettered: id-conflict" },
    { input: "an oversized record (within 100 bytes of 1 MiB, schema mismatch)", message: nearTheLimit(17), outcome: "dead-lettered: schema-invalid" },
    { input: "a record older than MaximumRecordAgeInSeconds", message: { ...valid(18), timestamp: String(Date.now() - 2 * HOUR) }, outcome: "on-failure: record-too-old" },
    { input: "a structured event in XML", message: { key: "e1", value: "<event><type>x</type></event>", headers: { "content-type": "application/cloudevents+xml" } }, outcome: "filtered" },
    { input: "binary mode with text data", message: { ...binary(19, StepReached.type), value: "hello", headers: { ...binary(19, StepReached.type).headers, "content-type": "text/plain" } }, outcome: "filtered" },
    { input: "binary mode with JSON data labelled text/plain", message: { ...binary(20, StepReached.type), headers: { ...binary(20, StepReached.type).headers, "content-type": "text/plain" } }, outcome: "dead-lettered: unsupported-content-type" },
    { input: "a batch of CloudEvents (batched mode)", message: { key: "e1", value: JSON.stringify([attributes(21)]), headers: { "content-type": "application/cloudevents-batch+json" } }, outcome: "dead-lettered: unsupported-content-type" },
    { input: "a valid event (step 3)", message: valid(3), outcome: "delivered" },
  ];

  /** What the mapping and the wrapper did with the rows, filled once by beforeAll. */
  const seen = {
    handled: [] as { step: number; mode: string; offset: number }[],
    stats: [] as BatchStats[],
    filtered: [] as DeliveredRecord[],
    onFailure: [] as { offset: number; reason: OnFailureReason }[],
    invocations: [] as { outcome: string; offsets: number[] }[],
    retries: 0,
    dead: new Map<number, KafkaMessage>(),
  };

  beforeAll(async () => {
    // Every row on partition 0, in order (each in a request of its own: the oversized one must be alone)
    for (const row of rows) await producer.send({ topic, acks: -1, messages: [{ ...row.message, partition: 0 }] });
    const handler = consume(defineConsumer({ name: group, on: [StepReached] }), (received, { record }) => void seen.handled.push({ step: received.data.step, mode: received.mode, offset: record.offset }), {
      kafka,
      logger: silentLogger(),
      idempotency: new InMemoryPersistenceLayer(),
      onBatch: (s) => seen.stats.push(s),
    });
    const signal = new Signal();
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
        onFiltered: (records) => seen.filtered.push(...records),
        onFailureDestination: (records, reason) => seen.onFailure.push(...records.map((r) => ({ offset: r.offset, reason }))),
        onInvoked: (report) => seen.invocations.push({ outcome: report.outcome, offsets: report.records.map((r) => r.offset) }),
        onRetry: () => void seen.retries++,
        onCommit: ({ partition, offset }) => (partition === 0 && (committed = offset), signal.notify()),
      },
    });
    try {
      await mapping.start();
      await signal.until(() => committed === rows.length, `partition 0 committed to ${rows.length}`, 45_000, () => ({ committed, ...seen, dead: undefined }));
    } finally {
      await mapping.stop();
      await handler.close();
    }
    const reader = kafka.consumer({ groupId: uniqueName("bad-input-dlq") });
    await reader.connect();
    const dead = await consumeUntil(reader, names.deadLetterTopic(group), rows.filter((row) => /^(dead-lettered|on-failure)/.test(row.outcome)).length, 30_000);
    await reader.disconnect();
    for (const record of dead) seen.dead.set(Number(record.message.headers?.[DeadLetterHeaders.SourceOffset]?.toString()), record.message);
  }, 90_000);

  const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

  /** What became of the record at `offset`, in the words of the table. */
  function outcomeOf(offset: number): string {
    const message = seen.dead.get(offset);
    if (message) {
      const reason = header(message, DeadLetterHeaders.Reason)!;
      if (seen.onFailure.some((f) => f.offset === offset)) return `on-failure: ${reason}`;
      return `dead-lettered: ${reason}${header(message, DeadLetterHeaders.Reference) ? " (reference)" : ""}`;
    }
    if (seen.filtered.some((r) => r.offset === offset)) return "filtered";
    return seen.handled.some((h) => h.offset === offset) ? "delivered" : "filtered by the wrapper";
  }

  it.each(rows.map((row, offset) => [row.input, row.outcome, offset] as const))("%s: %s", (_, outcome, offset) => {
    // Assess: its outcome, and it was never part of a failed invocation or a retry
    expect(outcomeOf(offset)).toBe(outcome);
    expect(seen.invocations.filter((i) => i.offsets.includes(offset)).map((i) => i.outcome).every((o) => o === "succeeded")).toBe(true);
  });

  it("holds up nothing after any row: not one retry, each record handed over at most once", () => {
    // Assess
    expect(seen.retries).toBe(0);
    expect(seen.invocations.every((i) => i.outcome === "succeeded")).toBe(true);
    const invoked = seen.invocations.flatMap((i) => i.offsets);
    expect(new Set(invoked).size).toBe(invoked.length);
    expect(seen.handled.map(({ step, mode }) => ({ step, mode }))).toEqual([
      { step: 0, mode: "structured" },
      { step: 1, mode: "structured" },
      { step: 2, mode: "binary" },
      { step: 3, mode: "structured" },
    ]);
  });

  it("counts what it filtered: the mapping's filter (FilteredOutEventCount on AWS) and the wrapper (its batch log)", () => {
    // Assess
    const filteredRows = rows.flatMap((row, offset) => (row.outcome === "filtered" ? [offset] : []));
    expect(seen.filtered.map((r) => r.offset)).toEqual(filteredRows);
    expect(seen.stats.reduce((sum, s) => sum + s.filtered, 0)).toBe(rows.filter((row) => row.outcome === "filtered by the wrapper").length);
  });

  it("dead-letters the oversized record whole, with its source coordinates: the dead-letter topic has room for it", () => {
    // Assess
    const offset = rows.findIndex((row) => row.input.startsWith("an oversized record"));
    const copy = seen.dead.get(offset)!;
    expect((copy.value as Buffer).length).toBe(Buffer.byteLength((rows[offset]!.message.value as string) ?? ""));
    expect({ topic: header(copy, DeadLetterHeaders.SourceTopic), offset: header(copy, DeadLetterHeaders.SourceOffset) }).toEqual({ topic, offset: String(offset) });
  });
});
