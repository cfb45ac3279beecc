import { untilServed } from "../../platform/local/topics";
import type { Admin, Message, Producer } from "kafkajs";
import { filterPatterns } from "../../platform/model/consumer-group-plan";
import {
  type BisectReport,
  type DeliveredRecord,
  type EventSourceMappingOptions,
  type InvocationReport,
  Limiter,
  LocalEventSourceMapping,
  type MappingObserver,
  PartialBatchReading,
  type OnFailureReason,
  type RetryReport,
} from "../../platform/local/event-source-mapping";
import { defineConsumer, names } from "../../platform/model";
import { consume, type KafkaHandler } from "../../platform/runtime/consumer";
import { DeadLetterHeaders, PoisonReason } from "../../platform/runtime/dead-letter";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime/envelope";
import { InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import type { KafkaEvent } from "../../platform/runtime/msk";
import { consumeUntil, createPartitioner, testKafka, uniqueName } from "../support/kafka";
import { silentLogger, testContext } from "../support/runtime";
import { Signal } from "../support/wait";

/** Everything a mapping reported, and a way to wait on it. */
function recorder() {
  const signal = new Signal();
  const log = {
    invocations: [] as InvocationReport[],
    filtered: [] as DeliveredRecord[],
    failed: [] as DeliveredRecord[],
    retries: [] as RetryReport[],
    bisects: [] as BisectReport[],
    onFailure: [] as { record: DeliveredRecord; reason: OnFailureReason }[],
    /** The last committed offset per partition. */
    committed: new Map<number, number>(),
    errors: [] as Error[],
  };
  const record =
    <A extends unknown[]>(write: (...args: A) => void) =>
    (...args: A) => {
      write(...args);
      signal.notify();
    };
  const observer: MappingObserver = {
    onInvoked: record((report) => log.invocations.push(report)),
    onFiltered: record((records) => log.filtered.push(...records)),
    onFailed: record((records) => log.failed.push(...records)),
    onRetry: record((retry) => log.retries.push(retry)),
    onBisect: record((bisect) => log.bisects.push(bisect)),
    onFailureDestination: record((records, reason) => log.onFailure.push(...records.map((r) => ({ record: r, reason })))),
    onCommit: record(({ partition, offset }) => log.committed.set(partition, offset)),
    onError: record((error) => log.errors.push(error)),
  };
  const state = () => ({
    invocations: log.invocations.map((i) => `p${i.partition}[${i.records.map((r) => r.offset).join(",")}]:${i.outcome}`),
    committed: Object.fromEntries(log.committed),
    onFailure: log.onFailure.length,
    errors: log.errors.map((e) => e.message),
  });
  return {
    ...log,
    observer,
    /** Records settled and committed over all partitions (topics here start at offset 0). */
    settled: () => [...log.committed.values()].reduce((a, b) => a + b, 0),
    sizes: () => log.invocations.map((i) => i.records.length),
    offsets: (outcome?: InvocationReport["outcome"]) =>
      log.invocations.filter((i) => !outcome || i.outcome === outcome).map((i) => i.records.map((r) => r.offset)),
    until: (condition: () => boolean, what: string, timeoutMs = 30_000) => signal.until(condition, what, timeoutMs, state),
  };
}

/** Both readings AWS's pages admit of a partial batch response: every failure scenario runs under each. */
const READINGS = Object.values(PartialBatchReading);

// Each wait below gives up after 30 s with what it waited for; the test itself after 60 s.
jest.setTimeout(60_000);

const offsetsOf = (event: KafkaEvent) => Object.values(event.records).flatMap((records) => records.map((r) => r.offset));
const partitionKeyOf = (event: KafkaEvent) => Object.keys(event.records)[0]!;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("LocalEventSourceMapping on a real broker", () => {
  const kafka = testKafka("event-source-mapping");
  const context = testContext();
  const { StepReached, Finished } = context.events;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  });

  // Mappings hold a consumer group membership and handlers a dead-letter producer: release both even when a test fails.
  const mappings: LocalEventSourceMapping[] = [];
  const handlers: KafkaHandler[] = [];
  afterEach(async () => {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
    await Promise.all(handlers.splice(0).map((h) => h.close()));
  });

  /** A fresh source topic and group, with the group's dead-letter topic; 3 partitions each. */
  async function setup(prefix: string) {
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}-group`);
    const dlq = names.deadLetterTopic(group);
    await admin.createTopics({ topics: [topic, dlq].map((t) => ({ topic: t, numPartitions: 3 })) });
    await untilServed(admin, [topic, dlq]);
    return { topic, group, dlq };
  }

  type MappingArgs = Pick<EventSourceMappingOptions, "topic" | "group" | "handler"> & Partial<EventSourceMappingOptions>;
  function mapping(args: MappingArgs) {
    const log = recorder();
    const esm = new LocalEventSourceMapping({
      kafka,
      groupId: `test.${args.group}.${context.name}`,
      onFailureTopic: names.deadLetterTopic(args.group),
      maxPollers: 3,
      retries: 3,
      bisectOnError: false,
      observer: log.observer,
      ...args,
    });
    mappings.push(esm);
    return { esm, log };
  }

  const step = (entity: string, n: number) =>
    toKafkaRecord(toCloudEvent({ event: StepReached, key: entity, data: { entityId: entity, step: n }, executionId: `arn:aws:states:::execution:sm:${entity}`, state: `Step${n}` }));
  const steps = (entity: string, count: number) => Array.from({ length: count }, (_, n) => step(entity, n));
  const send = (topic: string, messages: Message[]) => producer.send({ topic, acks: -1, messages });
  /** Records on partition 0 with plain values, for tests about the mapping alone. */
  const plain = (count: number, from = 0): Message[] => Array.from({ length: count }, (_, i) => ({ partition: 0, value: `record ${from + i}` }));

  /** The real consumer wrapper for a group subscribing to StepReached, with in-process idempotency. */
  function wrapper(group: string, handle: (data: { entityId: string; step: number }) => void): KafkaHandler {
    const consumer = defineConsumer({ name: group, on: [StepReached] });
    const handler = consume(consumer, (event) => handle(event.data), { kafka, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() });
    handlers.push(handler);
    return handler;
  }

  it("never invokes with more than the batch size, and delivers every record once, in order per partition", async () => {
    // Prepare
    const { topic, group } = await setup("batch");
    const entities = Array.from({ length: 10 }, (_, i) => `entity-${i}`);
    await send(topic, entities.flatMap((e) => steps(e, 6)));
    const handled: { entityId: string; step: number }[] = [];
    const { esm, log } = mapping({ topic, group, batchSize: 4, handler: wrapper(group, (data) => void handled.push(data)) });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 60, "60 records committed");

    // Assess
    expect(Math.max(...log.sizes())).toBe(4);
    expect(log.sizes().reduce((a, b) => a + b, 0)).toBe(60);
    expect(log.invocations.every((i) => i.outcome === "succeeded")).toBe(true);
    for (const p of [0, 1, 2]) {
      const delivered = log.invocations.filter((i) => i.partition === p).flatMap((i) => i.records.map((r) => r.offset));
      expect(delivered).toEqual(delivered.map((_, index) => index));
    }
    for (const entity of entities) expect(handled.filter((h) => h.entityId === entity).map((h) => h.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await esm.lag()).toBe(0);
  });

  it("filters out unsubscribed types and non-JSON, and delivers JSON without a type so the wrapper dead-letters it", async () => {
    // Prepare
    const { topic, group, dlq } = await setup("filter");
    const finished = toKafkaRecord(toCloudEvent({ event: Finished, key: "e1", data: { entityId: "e1", steps: 2 }, executionId: "x", state: "Done" }));
    const untyped = { key: "e1", value: JSON.stringify({ hello: "world" }) };
    await send(topic, [step("e1", 0), finished, { key: "e1", value: "this is not JSON" }, untyped, step("e1", 1)]);
    const handled: number[] = [];
    const { esm, log } = mapping({ topic, group, filters: filterPatterns([StepReached.type]), handler: wrapper(group, (data) => void handled.push(data.step)) });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 5, "the 5 records committed");

    // Assess: the filter dropped offsets 1 and 2, committed with the rest
    const delivered = log.invocations.flatMap((i) => i.records);
    expect(delivered.map((r) => r.offset)).toEqual([0, 3, 4]);
    expect(delivered.map((r) => r.type)).toEqual([StepReached.type, undefined, StepReached.type]);
    expect(log.filtered.map((r) => [r.offset, r.type])).toEqual([
      [1, Finished.type],
      [2, undefined],
    ]);
    expect(handled).toEqual([0, 1]);
    expect(await esm.lag()).toBe(0);

    // Assess: the untyped record reached the wrapper's dead-letter topic
    const reader = kafka.consumer({ groupId: uniqueName("dlq-reader") });
    await reader.connect();
    const [dead] = await consumeUntil(reader, dlq, 1);
    await reader.disconnect();
    expect(dead!.message.headers?.[DeadLetterHeaders.Reason]?.toString()).toBe(PoisonReason.NotCloudEvent);
    expect(dead!.message.value?.toString()).toBe(untyped.value);
  });

  describe.each(READINGS)("reading partial batch responses as %s", (partialBatchReading) => {
    it("retries a record whose handler fails transiently until it succeeds: in order per entity, each effect once", async () => {
      // Prepare
      const { topic, group } = await setup("transient");
      const entities = ["a", "b", "c", "d", "e"];
      await send(topic, entities.flatMap((e) => steps(e, 6)));
      const attempts = new Map<string, number>();
      const effects: { entityId: string; step: number }[] = [];
      const handler = wrapper(group, (data) => {
        const id = `${data.entityId}/${data.step}`;
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (data.step === 2 && attempts.get(id)! <= 2) throw new Error("downstream unavailable");
        effects.push(data);
      });
      const { esm, log } = mapping({ topic, group, batchSize: 10, retries: 3, handler, partialBatchReading });

      // Act
      await esm.start();
      await log.until(() => log.settled() === 30, "30 records committed");

      // Assess: every entity's steps in order, each once, after two failed attempts of step 2
      for (const entity of entities) {
        expect(effects.filter((e) => e.entityId === entity).map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(attempts.get(`${entity}/2`)).toBe(3);
      }
      expect(log.onFailure).toEqual([]);
      expect(log.retries.every((r) => r.cause === "batch-item-failure" && r.retry <= 2)).toBe(true);
      for (const p of [0, 1, 2]) {
        const invocations = log.invocations.filter((i) => i.partition === p);
        invocations.forEach((invocation, n) => {
          if (invocation.outcome !== "partial") return;
          const next = invocations[n + 1]!.records.map((r) => r.offset);
          if (partialBatchReading === PartialBatchReading.FailedRecordsOnly) {
            // Exactly the reported records come again.
            expect(next).toEqual([...invocation.failedOffsets].sort((a, b) => a - b));
          } else {
            // The partition resumes from the lowest reported record, never ahead of it.
            expect(next[0]).toBe(Math.min(...invocation.failedOffsets));
          }
        });
      }
    });

    it("sends a record that always fails to the on-failure topic after exactly `retries` retries; other keys go on", async () => {
      // Prepare: two entities interleaved on one partition; one of them can never take step 3
      const { topic, group, dlq } = await setup("poison");
      const records = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((n) => [step("poisoned", n), step("healthy", n)]).map((r) => ({ ...r, partition: 0 }));
      await send(topic, records);
      const effects: string[] = [];
      const handler = wrapper(group, (data) => {
        if (data.entityId === "poisoned" && data.step === 3) throw new Error("cannot handle step 3");
        effects.push(`${data.entityId}/${data.step}`);
      });
      const { esm, log } = mapping({ topic, group, batchSize: 100, retries: 2, handler, partialBatchReading });

      // Act
      await esm.start();
      await log.until(() => log.settled() === 16, "16 records committed");

      // Assess: 1 try + 2 retries of poisoned/3 (offset 6), then on to the rest of the partition
      const all = [...Array(16).keys()];
      const poisonedFrom3 = [6, 8, 10, 12, 14];
      const each = (entity: string, steps: number[]) => steps.map((n) => `${entity}/${n}`);
      if (partialBatchReading === PartialBatchReading.FailedRecordsOnly) {
        // The failed record and the later ones of its key are retried, and given up on together: order per key holds.
        expect(log.retries.map((r) => [r.offset, r.retry, r.cause])).toEqual([1, 2].flatMap((retry) => poisonedFrom3.map((offset) => [offset, retry, "batch-item-failure"])));
        expect(log.offsets()).toEqual([all, poisonedFrom3, poisonedFrom3]);
        expect(log.onFailure.map((f) => [f.record.offset, f.reason])).toEqual(poisonedFrom3.map((o) => [o, "retries-exhausted"]));
        expect(effects.sort()).toEqual([...each("healthy", [0, 1, 2, 3, 4, 5, 6, 7]), ...each("poisoned", [0, 1, 2])].sort());
      } else {
        // The partition resumes from the failed record; healthy records after it come again and are skipped as duplicates.
        expect(log.retries.map((r) => [r.offset, r.retry, r.cause])).toEqual([
          [6, 1, "batch-item-failure"],
          [6, 2, "batch-item-failure"],
        ]);
        const from = (offset: number) => all.filter((o) => o >= offset);
        expect(log.offsets()).toEqual([all, from(6), from(6), from(7)]);
        expect(log.onFailure.map((f) => [f.record.offset, f.reason])).toEqual([[6, "retries-exhausted"]]);
        expect(effects.sort()).toEqual([...each("healthy", [0, 1, 2, 3, 4, 5, 6, 7]), ...each("poisoned", [0, 1, 2, 4, 5, 6, 7])].sort());
      }

      // Assess: the on-failure record of poisoned/3, as AWS documents it, with Ensemble's dead-letter headers
      const reader = kafka.consumer({ groupId: uniqueName("dlq-reader") });
      await reader.connect();
      const dead = (await consumeUntil(reader, dlq, log.onFailure.length)).find((r) => r.message.headers?.[DeadLetterHeaders.SourceOffset]?.toString() === "6")!;
      await reader.disconnect();
      const header = (name: string) => dead.message.headers?.[name]?.toString();
      expect(dead.message.key?.toString()).toBe("poisoned");
      expect(header("content-type")).toBe("application/json");
      expect(header(DeadLetterHeaders.Reason)).toBe("retries-exhausted");
      expect(header(DeadLetterHeaders.Detail)).toBe("reported in batchItemFailures");
      expect(header(DeadLetterHeaders.Group)).toBe(group);
      expect(header(DeadLetterHeaders.SourceTopic)).toBe(topic);
      expect(header(DeadLetterHeaders.SourcePartition)).toBe("0");
      const document = JSON.parse(dead.message.value!.toString());
      expect(document).toEqual({
        requestContext: { requestId: expect.any(String), functionArn: expect.stringContaining(group), condition: "RetriesExhausted", approximateInvokeCount: 3 },
        responseContext: { statusCode: 200, executedVersion: "$LATEST" },
        version: "1.0",
        timestamp: expect.any(String),
        KafkaBatchInfo: {
          batchSize: log.onFailure.length,
          eventSourceArn: expect.any(String),
          bootstrapServers: expect.any(String),
          payloadSize: expect.any(Number),
          recordInfo: { offset: "6", timestamp: expect.any(String) },
        },
        payload: { bootstrapServers: expect.any(String), eventSource: "aws:kafka", eventSourceArn: expect.any(String), records: { [`${topic}-0`]: [expect.anything()] } },
      });
      const original = document.payload.records[`${topic}-0`][0];
      expect(original).toMatchObject({ topic, partition: 0, offset: 6, key: Buffer.from("poisoned").toString("base64"), value: Buffer.from(records[6]!.value).toString("base64") });
      expect(original.headers).toEqual([{ "content-type": [...Buffer.from(records[6]!.headers["content-type"]!)] }]);
    });

    it("retries what a partial batch response reports, as the reading says", async () => {
      // Prepare
      const { topic, group } = await setup("partial");
      await send(topic, plain(6));
      let first = true;
      const handler = async (event: KafkaEvent) => {
        if (!first) return;
        first = false;
        const partition = partitionKeyOf(event);
        return { batchItemFailures: [4, 2].map((offset) => ({ itemIdentifier: { partition, offset } })) };
      };
      const { esm, log } = mapping({ topic, group, handler, partialBatchReading });

      // Act
      await esm.start();
      await log.until(() => log.settled() === 6, "6 records committed");

      // Assess
      const retried = partialBatchReading === PartialBatchReading.FailedRecordsOnly ? [2, 4] : [2, 3, 4, 5];
      expect(log.offsets()).toEqual([[0, 1, 2, 3, 4, 5], retried]);
      expect(log.invocations.map((i) => i.outcome)).toEqual(["partial", "succeeded"]);
      expect(log.failed.map((r) => r.offset)).toEqual([4, 2]);
      const retriedEach = partialBatchReading === PartialBatchReading.FailedRecordsOnly ? [2, 4] : [2];
      expect(log.retries.map((r) => [r.offset, r.retry, r.cause])).toEqual(retriedEach.map((offset) => [offset, 1, "batch-item-failure"]));
    });
  });

  it("retries the whole batch, in order, when the function throws and bisect is off", async () => {
    // Prepare
    const { topic, group } = await setup("thrown");
    await send(topic, plain(8));
    let thrown = false;
    const handler = async (event: KafkaEvent) => {
      if (!thrown && offsetsOf(event).includes(3)) {
        thrown = true;
        throw new Error("boom");
      }
    };
    const { esm, log } = mapping({ topic, group, batchSize: 10, handler });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 8, "8 records committed");

    // Assess
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    expect(log.offsets()).toEqual([all, all]);
    expect(log.invocations.map((i) => [i.outcome, i.retry])).toEqual([
      ["failed", 0],
      ["succeeded", 1],
    ]);
    expect(log.retries).toEqual([expect.objectContaining({ offset: 0, retry: 1, cause: "function-error" })]);
    expect(log.failed.map((r) => r.offset)).toEqual(all);
  });

  it("bisects a batch of 20 with a poison record down to that record, and hands it to the on-failure topic", async () => {
    // Prepare
    const { topic, group } = await setup("bisect");
    await send(topic, plain(20));
    const handler = async (event: KafkaEvent) => {
      if (offsetsOf(event).includes(7)) throw new Error("poison record 7");
    };
    const { esm, log } = mapping({ topic, group, batchSize: 20, retries: 1, bisectOnError: true, handler });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 20, "20 records committed");

    // Assess: 20 → 10+10 → 5+5 → 3+2 → 2+1; [7] is retried once, then given up on
    expect(log.sizes()).toEqual([20, 10, 5, 5, 3, 2, 1, 1, 2, 10]);
    expect(log.bisects.map((b) => b.halves)).toEqual([
      [10, 10],
      [5, 5],
      [3, 2],
      [2, 1],
    ]);
    expect(log.offsets("failed").at(-1)).toEqual([7]);
    expect(log.retries.map((r) => [r.offset, r.retry])).toEqual([[7, 1]]);
    expect(log.onFailure.map((f) => f.record.offset)).toEqual([7]);
    const succeeded = log.offsets("succeeded").flat().sort((a, b) => a - b);
    expect(succeeded).toEqual([...Array(20).keys()].filter((o) => o !== 7));
    expect(log.invocations.map((i) => i.bisected)).toEqual([false, ...Array(9).fill(true)]);
  });

  it("treats a partial batch response naming an unknown record as a failure of the whole batch", async () => {
    // Prepare
    const { topic, group } = await setup("invalid");
    await send(topic, plain(4));
    let first = true;
    const handler = async (event: KafkaEvent) => {
      if (!first) return;
      first = false;
      return { batchItemFailures: [{ itemIdentifier: { partition: partitionKeyOf(event), offset: 99 } }] };
    };
    const { esm, log } = mapping({ topic, group, handler });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 4, "4 records committed");

    // Assess
    expect(log.offsets()).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    expect(log.invocations[0]).toMatchObject({ outcome: "failed", error: expect.objectContaining({ message: expect.stringMatching(/Invalid batchItemFailures/) }) });
    expect(log.retries.map((r) => r.cause)).toEqual(["invalid-response"]);
  });

  it("after stop() mid-stream, a new mapping of the same group resumes where it stopped: nothing lost, nothing committed re-delivered", async () => {
    // Prepare
    const { topic, group } = await setup("resume");
    await send(topic, plain(30));
    const handled: number[][] = [[], []];
    const slowly = (run: number) => async (event: KafkaEvent) => {
      await tick(100); // work that takes a while, so the stop lands mid-stream
      handled[run]!.push(...offsetsOf(event));
    };
    const first = mapping({ topic, group, batchSize: 5, handler: slowly(0) });

    // Act
    await first.esm.start();
    await first.log.until(() => first.log.invocations.length >= 2, "2 invocations");
    await first.esm.stop();
    const backlog = await first.esm.lag();
    const second = mapping({ topic, group, batchSize: 5, handler: slowly(1) });
    await second.esm.start();
    await second.log.until(() => second.log.committed.get(0) === 30, "the second mapping to commit offset 30");

    // Assess
    expect(handled[0]!.length).toBeGreaterThanOrEqual(10);
    expect(handled[0]!.length).toBeLessThan(30);
    expect(backlog).toBe(30 - handled[0]!.length);
    expect(handled[1]![0]).toBe(handled[0]!.length);
    expect([...handled[0]!, ...handled[1]!]).toEqual([...Array(30).keys()]);
    expect(await second.esm.lag()).toBe(0);
  });

  it("reports as lag the records a stopped mapping has not committed, and 0 once it drained them", async () => {
    // Prepare
    const { topic, group } = await setup("lag");
    await send(topic, [...plain(5), ...Array.from({ length: 7 }, (_, i) => ({ partition: 2, value: `p2 ${i}` }))]);
    const { esm, log } = mapping({ topic, group, handler: async () => undefined });

    // Act
    const before = await esm.lag();
    await esm.start();
    await log.until(() => log.settled() === 12, "12 records committed");
    const after = await esm.lag();

    // Assess
    expect(before).toBe(12);
    expect(after).toBe(0);
  });

  it("never runs more handler invocations at once than the group's shared limiter allows", async () => {
    // Prepare
    const [one, two] = await Promise.all([setup("limit-a"), setup("limit-b")]);
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const handler = async () => {
      peak = Math.max(peak, ++active);
      await tick(150);
      active--;
    };
    const spread = [0, 1, 2].flatMap((partition) => [0, 1].map((i) => ({ partition, value: `p${partition} ${i}` })));
    await Promise.all([send(one!.topic, spread), send(two!.topic, spread)]);
    const a = mapping({ topic: one!.topic, group: one!.group, batchSize: 1, maxPollers: 3, concurrency: limiter, handler });
    const b = mapping({ topic: two!.topic, group: one!.group, groupId: `test.${one!.group}.other`, batchSize: 1, maxPollers: 3, concurrency: limiter, handler });

    // Act
    await Promise.all([a.esm.start(), b.esm.start()]);
    await Promise.all([a.log.until(() => a.log.settled() === 6, "6 records of a"), b.log.until(() => b.log.settled() === 6, "6 records of b")]);

    // Assess
    expect(peak).toBe(2);
    expect(limiter.running).toBe(0);
  });

  it("processes at most maxPollers partitions at once", async () => {
    // Prepare
    const { topic, group } = await setup("pollers");
    let active = 0;
    let peak = 0;
    const handler = async () => {
      peak = Math.max(peak, ++active);
      await tick(150);
      active--;
    };
    await send(topic, [0, 1, 2].flatMap((partition) => [0, 1].map((i) => ({ partition, value: `p${partition} ${i}` }))));
    const { esm, log } = mapping({ topic, group, batchSize: 1, maxPollers: 2, handler });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 6, "6 records committed");

    // Assess
    expect(peak).toBe(2);
  });

  it("sends records older than the maximum record age to the on-failure topic without invoking", async () => {
    // Prepare
    const { topic, group, dlq } = await setup("age");
    const old = String(Date.now() - 120_000);
    await send(topic, [
      { partition: 0, key: "k", value: "old 0", timestamp: old },
      { partition: 0, key: "k", value: "old 1", timestamp: old },
      { partition: 0, key: "k", value: "fresh 2" },
    ]);
    const { esm, log } = mapping({ topic, group, maxRecordAgeSeconds: 60, handler: async () => undefined });

    // Act
    await esm.start();
    await log.until(() => log.settled() === 3, "3 records committed");

    // Assess
    expect(log.offsets()).toEqual([[2]]);
    expect(log.onFailure.map((f) => [f.record.offset, f.reason])).toEqual([
      [0, "record-too-old"],
      [1, "record-too-old"],
    ]);
    const reader = kafka.consumer({ groupId: uniqueName("dlq-reader") });
    await reader.connect();
    const dead = await consumeUntil(reader, dlq, 2);
    await reader.disconnect();
    const documents = dead.map((d) => JSON.parse(d.message.value!.toString()));
    expect(documents.map((d) => [d.requestContext.condition, d.requestContext.approximateInvokeCount, d.KafkaBatchInfo.recordInfo.offset])).toEqual(
      expect.arrayContaining([
        ["RecordAgeExceeded", 0, "0"],
        ["RecordAgeExceeded", 0, "1"],
      ]),
    );
    expect(documents.every((d) => d.responseContext === undefined)).toBe(true);
    expect(dead.map((d) => d.message.headers?.[DeadLetterHeaders.Reason]?.toString())).toEqual(["record-too-old", "record-too-old"]);
  });

  it("starts a new group at LATEST after the records already there", async () => {
    // Prepare
    const { topic, group } = await setup("latest");
    await send(topic, plain(3));
    const { esm, log } = mapping({ topic, group, startingPosition: "LATEST", handler: async () => undefined });

    // Act
    await esm.start();
    await send(topic, plain(2, 3));
    await log.until(() => log.committed.get(0) === 5, "offset 5 committed");

    // Assess
    expect(log.offsets().flat()).toEqual([3, 4]);
  });

  it("lets the broker gather records for the batching window", async () => {
    // Prepare
    const { topic, group } = await setup("window");
    const { esm, log } = mapping({ topic, group, windowSeconds: 2, handler: async () => undefined });
    await esm.start();

    // Act: 10 records, one every 100 ms, within one window of 2 s
    for (let i = 0; i < 10; i++) {
      await send(topic, plain(1, i));
      await tick(100);
    }
    await log.until(() => log.committed.get(0) === 10, "10 records committed");

    // Assess: at most one window boundary falls within the second they took
    expect(log.invocations.length).toBeLessThanOrEqual(2);
    expect(log.offsets().flat()).toEqual([...Array(10).keys()]);
  });
});
