import { randomUUID } from "node:crypto";
import type { Context as LambdaContext } from "aws-lambda";
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { CONSUMER_DEFAULTS, FUNCTION_DEFAULTS, OnFailureReason, type StartingPosition } from "../model";
import { createIdempotentProducer, SharedProducer, whenJoined } from "../runtime/kafka";
import type { KafkaBatchResponse, KafkaEvent, KafkaRecord } from "../runtime/msk";
import { compileFilters } from "./filters";
import { Limiter } from "./limiter";
import { type MskEventOptions, toMskEvent } from "./msk-event";
import { onFailureRecord } from "./on-failure";
import { type Batch, type Item, type Outcome, PartitionWork, readResponse } from "./partition-work";

/*
 * A local stand-in for the AWS Lambda event source mapping (ESM) of Amazon MSK, as Ensemble's
 * ConsumerGroup configures it (platform/infra/consumer-group.ts): one mapping = one topic and one
 * Kafka consumer group id, provisioned pollers, filters, ReportBatchItemFailures, retries, bisect,
 * maximum record age and a `kafka://<group>.dlq` on-failure destination. The AWS pages each rule
 * comes from are cited where it is applied.
 *
 * Each invocation carries the records of one partition, in offset order, one batch at a time;
 * partitions go on independently (up to `maxPollers` at once). Offsets are committed only up to the first
 * record not yet settled, where settled means handled, filtered out or written to the on-failure
 * topic, so a stop or a crash re-delivers (at least once) and never skips.
 */

/** Where a mapping is in one record's life, for the live view and the tests. */
export interface DeliveredRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record key as UTF-8, when it has one. */
  readonly key?: string;
  /** CloudEvent `id` and `type`, when the value is a JSON object carrying them. */
  readonly id?: string;
  readonly type?: string;
}

export interface InvocationReport {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly DeliveredRecord[];
  /** How many times the batch's first record was retried before this invocation (0 = first try). */
  readonly retry: number;
  /** The batch is a half (or less) of a batch that failed with bisect on. */
  readonly bisected: boolean;
  /** `partial`: the function reported batch item failures; `failed`: it threw or answered nonsense. */
  readonly outcome: "succeeded" | "partial" | "failed";
  /** Offsets reported in `batchItemFailures` (partial outcome). */
  readonly failedOffsets: readonly number[];
  readonly error?: Error;
  readonly durationMs: number;
}

export type FailureCause = "batch-item-failure" | "function-error" | "invalid-response";

/** The `ensemble-dlq-reason` of records the mapping itself sends to the on-failure topic. */
export { OnFailureReason };

/**
 * How Lambda reads a partial batch response. AWS's pages admit two readings, so the emulator
 * can run either and the tests run both:
 * - `failed-records-only`: the Kafka page, "so Lambda can retry only the failed records" —
 *   the records the response does not name are done, the named ones are retried;
 * - `checkpoint-at-lowest`: the Kinesis and DynamoDB pages — Lambda checkpoints before the
 *   lowest reported record and resumes there, so it and every later record come again.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export const PartialBatchReading = {
  FailedRecordsOnly: "failed-records-only",
  CheckpointAtLowest: "checkpoint-at-lowest",
} as const;
export type PartialBatchReading = (typeof PartialBatchReading)[keyof typeof PartialBatchReading];

export interface RetryReport {
  readonly topic: string;
  readonly partition: number;
  /** The record retried: each reported record (failed-records-only), or the one the partition resumes from (checkpoint-at-lowest). */
  readonly offset: number;
  /** This retry's number, from 1. */
  readonly retry: number;
  /** The retry limit in force (-1 is applied as 10: there is always an on-failure topic). */
  readonly maxRetries: number;
  readonly cause: FailureCause;
}

export interface BisectReport {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: readonly number[];
  readonly halves: readonly [number, number];
}

/** Callbacks for what the mapping does; each is optional and must not throw. */
export interface MappingObserver {
  /** Records handed to the function, just before it runs. */
  onDelivered?(records: readonly DeliveredRecord[]): void;
  /** What an invocation came to. */
  onInvoked?(report: InvocationReport): void;
  /** Records the filters dropped: never delivered, committed with the rest. */
  onFiltered?(records: readonly DeliveredRecord[]): void;
  /** Records an invocation failed: those reported in `batchItemFailures`, or the whole batch. */
  onFailed?(records: readonly DeliveredRecord[], cause: FailureCause): void;
  onRetry?(retry: RetryReport): void;
  onBisect?(bisect: BisectReport): void;
  /** Records written to the on-failure topic (retries exhausted, or too old to deliver). */
  onFailureDestination?(records: readonly DeliveredRecord[], reason: OnFailureReason): void;
  /** The group's committed offset of a partition moved to `offset` (the next record to read). */
  onCommit?(commit: { readonly topic: string; readonly partition: number; readonly offset: number }): void;
  /** The consumer crashed (kafkajs restarts it from the committed offsets). */
  onError?(error: Error): void;
}

export interface EventSourceMappingOptions {
  readonly kafka: Kafka;
  /** The Ensemble consumer group: names the function and the on-failure records' origin. */
  readonly group: string;
  /** The Kafka consumer group id, `<stack>.<group>.<context>`. */
  readonly groupId: string;
  /** Lambda takes one topic per MSK mapping. */
  readonly topic: string;
  /** The function: the consumer wrapper's `consume()` handler, or any Kafka event handler. */
  readonly handler: (event: KafkaEvent, context?: LambdaContext) => Promise<KafkaBatchResponse | void>;
  /**
   * The function's timeout. When set, each invocation gets a Lambda-shaped context whose
   * `getRemainingTimeInMillis()` counts down to it, so an idempotency claim taken by an
   * invocation that crashed expires when its Lambda would have timed out, as on AWS (the
   * invocation itself is not cut short). @default none: invocations get no context
   */
  readonly functionTimeoutSeconds?: number;
  /** Records per invocation, at most. @default 100 */
  readonly batchSize?: number;
  /** How long the broker may gather records before answering a fetch, in seconds. @default 0 */
  readonly windowSeconds?: number;
  /** Filter patterns, ORed, as `filterPatterns()` writes them for AWS. @default none: every record */
  readonly filters?: readonly string[];
  /** Retries of a failing record (-1 = until it is too old; capped at 10 with an on-failure topic). @default 3 */
  readonly retries?: number;
  /** Records older than this go to the on-failure topic undelivered (-1 = no limit). @default -1 */
  readonly maxRecordAgeSeconds?: number;
  /** Split a batch in two when the function throws, to isolate the bad record. @default true */
  readonly bisectOnError?: boolean;
  /**
   * Which of AWS's two readings of a partial batch response to apply (see {@link PartialBatchReading}).
   * @default the `ENSEMBLE_PARTIAL_BATCH_READING` environment variable, else "failed-records-only"
   */
  readonly partialBatchReading?: PartialBatchReading;
  /** Where a group without committed offsets starts. @default "TRIM_HORIZON" */
  readonly startingPosition?: StartingPosition;
  /** Partitions processed at once (Lambda caps pollers at the partition count). @default 2 */
  readonly maxPollers?: number;
  /** Shared by a group's mappings: its reserved concurrency. @default no limit beyond maxPollers */
  readonly concurrency?: Limiter;
  /** The `kafka://` on-failure destination: the group's `<group>.dlq`. */
  readonly onFailureTopic: string;
  /** ARN and bootstrap servers written into events and on-failure records. */
  readonly eventSource?: MskEventOptions;
  /**
   * How long the group coordinator waits to hear from a poller before handing its partitions to
   * another: what a crashed process, or a member a restarted broker still remembers, costs the
   * group. Heartbeats go between fetches, so it must outlast the batching window and the longest
   * invocation, the function's timeout.
   * @default the batching window + the function timeout (30 s when not set) + 5 s
   */
  readonly sessionTimeoutMs?: number;
  readonly observer?: MappingObserver;
}

// ---------------------------------------------------------------------------------------------
// The mapping

/**
 * Lambda's payload limit for a synchronous invocation: a batch holds no more, whatever its size
 * setting ("up to 6 MB", invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching).
 */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** A record's JSON fields besides key, value and headers in the MSK event. */
const RECORD_FIELDS_BYTES = 200;
/** A guess at a record's size, to turn a batch size into the bytes the broker waits for. */
const TYPICAL_RECORD_BYTES = 1024;
/** With no window the broker answers as soon as a byte is there; this only bounds an idle poll. */
const IDLE_POLL_MS = 500;
/** AWS applies at most 10 retries when retries are infinite and an on-failure destination is set. */
const MAX_RETRIES_WITH_DESTINATION = 10;

/**
 * Emulates one AWS Lambda event source mapping for Amazon MSK on a real broker: it reads one
 * topic as one consumer group and invokes `handler` with MSK-shaped batches, applying the
 * mapping's filters, batch size and window, partial batch responses, retries, bisect, record age
 * and on-failure destination the way Lambda does.
 *
 * @example
 * const mapping = new LocalEventSourceMapping({
 *   kafka, group: "notify-customer", groupId: "dev.notify-customer.orders", topic: "orders.events",
 *   handler, filters: filterPatterns(["orders.OrderPlaced"]), onFailureTopic: "notify-customer.dlq",
 * });
 * await mapping.start();
 * // ...
 * await mapping.stop();
 */
export class LocalEventSourceMapping {
  readonly group: string;
  readonly groupId: string;
  readonly topic: string;
  private readonly settings: Settings;
  private readonly accepts: (value: Buffer | null) => boolean;
  private readonly eventSource: Pick<KafkaEvent, "eventSourceArn" | "bootstrapServers">;
  private consumer: Consumer | undefined;
  private producer: SharedProducer | undefined;
  private stopping = false;

  constructor(private readonly options: EventSourceMappingOptions) {
    this.group = options.group;
    this.groupId = options.groupId;
    this.topic = options.topic;
    this.settings = settingsOf(options);
    this.accepts = compileFilters(options.filters ?? []);
    const { eventSourceArn, bootstrapServers } = toMskEvent([], options.eventSource); // its defaults
    this.eventSource = { eventSourceArn, bootstrapServers };
  }

  /** Joins the consumer group and starts invoking; resolves once the group has been joined. */
  async start(): Promise<void> {
    if (this.consumer) throw new Error(`The event source mapping of ${this.groupId} is already started.`);
    this.stopping = false;
    const consumer = this.options.kafka.consumer(this.consumerConfig());
    this.consumer = consumer;
    this.producer = new SharedProducer(() => createIdempotentProducer(this.options.kafka));
    try {
      await Promise.all([consumer.connect(), this.producer.get()]);
      const latest = this.settings.startingPosition === "LATEST" ? await this.withAdmin((admin) => uncommittedEnds(admin, this.groupId, this.topic)) : [];
      await consumer.subscribe({ topics: [this.topic], fromBeginning: this.settings.startingPosition === "TRIM_HORIZON" });
      // Seeking on the join, before the first fetch, pins LATEST to the newest record as of start().
      const joined = whenJoined(consumer, () => latest.forEach((end) => consumer.seek({ topic: this.topic, ...end })));
      consumer.on(consumer.events.CRASH, ({ payload }) => this.notify("onError", payload.error));
      await consumer.run({
        autoCommit: false, // commits are explicit, once the records before them are settled
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.settings.maxPollers,
        eachBatch: (payload) => this.consumeBatch(payload),
      });
      await joined;
      // ...and committing it keeps that position if the mapping stops before a record arrives.
      if (latest.length > 0) await consumer.commitOffsets(latest.map((end) => ({ topic: this.topic, ...end })));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Lets the in-flight invocations finish and commit, then leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      // The in-flight batch may still write to the on-failure topic: the producer goes last.
      await this.consumer?.disconnect();
      await this.producer?.disconnect();
    } finally {
      this.consumer = undefined;
      this.producer = undefined;
    }
  }

  /**
   * Records not yet committed by the group, summed over partitions: the OffsetLag metric, "the
   * difference in offset between the last record written to a topic and the last record that
   * your function's consumer group processed".
   * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   */
  async lag(): Promise<number> {
    return this.withAdmin(async (admin) => {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(this.topic), admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })]);
      return ends.reduce((sum, end) => {
        const done = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        const from = done >= 0 ? Math.max(done, Number(end.low)) : this.settings.startingPosition === "TRIM_HORIZON" ? Number(end.low) : Number(end.high);
        return sum + Number(end.high) - from;
      }, 0);
    });
  }

  /**
   * The batching window, left to the broker: it answers a fetch once `minBytes` are there or
   * `maxWaitTimeInMs` has passed, as Lambda invokes on a full batch, an expired window or 6 MB.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
   * kafkajs heartbeats between fetches only, so the session must outlast the window.
   */
  private consumerConfig() {
    const windowMs = this.settings.windowSeconds * 1000;
    const invocationMs = (this.options.functionTimeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds) * 1000;
    // Kafka's group.min.session.timeout.ms is 6 s.
    const sessionTimeout = this.options.sessionTimeoutMs ?? Math.max(6_000, windowMs + invocationMs + 5_000);
    return {
      groupId: this.groupId,
      maxWaitTimeInMs: windowMs > 0 ? windowMs : IDLE_POLL_MS,
      minBytes: windowMs > 0 ? Math.min(this.settings.batchSize * TYPICAL_RECORD_BYTES, MAX_PAYLOAD_BYTES) : 1,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, sessionTimeout),
    };
  }

  /** Works through one fetched partition batch until every record is settled or the mapping stops. */
  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition } = payload.batch;
    const items = payload.batch.messages.map((message) => this.toItem(topic, partition, message));
    const filtered = items.filter((item) => !item.wanted);
    if (filtered.length > 0) this.notify("onFiltered", filtered.map((item) => item.record));
    const work = new PartitionWork(items);

    while (work.hasWork() && this.running(payload)) {
      const batch = work.next(this.settings.batchSize, MAX_PAYLOAD_BYTES)!;
      const tooOld = batch.items.filter((item) => this.isTooOld(item));
      if (tooOld.length > 0) {
        // Records past the maximum age skip the function (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
        await this.sendToOnFailure(tooOld, OnFailureReason.RecordTooOld, `older than ${this.settings.maxRecordAgeSeconds} s`, false, tooOld.length);
        work.settle(tooOld);
        if (batch.bisected) work.putBack(batch);
      } else {
        await this.handleOutcome(work, batch, await this.invoke(topic, partition, batch));
      }
      await this.commit(payload, work);
      if (this.running(payload)) await payload.heartbeat();
    }
    await this.commit(payload, work);
  }

  private running(payload: EachBatchPayload): boolean {
    return !this.stopping && payload.isRunning() && !payload.isStale();
  }

  private async invoke(topic: string, partition: number, batch: Batch): Promise<Outcome> {
    const records = batch.items.map((item) => item.record);
    const event = toMskEvent([{ topic, partition, messages: batch.items.map((item) => item.message) }], this.options.eventSource);
    for (const item of batch.items) item.invocations++;
    this.notify("onDelivered", records);
    const started = Date.now();
    const outcome = await this.call(event, batch.items);
    this.notify("onInvoked", {
      topic,
      partition,
      records,
      retry: batch.items[0]!.failures,
      bisected: batch.bisected,
      outcome: outcome.kind,
      failedOffsets: outcome.kind === "partial" ? outcome.failed.map((item) => item.offset) : [],
      ...(outcome.kind === "failed" ? { error: outcome.error } : {}),
      durationMs: Date.now() - started,
    });
    return outcome;
  }

  private async call(event: KafkaEvent, items: readonly Item[]): Promise<Outcome> {
    const invoke = () => {
      const timeout = this.options.functionTimeoutSeconds;
      return timeout === undefined ? this.options.handler(event) : this.options.handler(event, lambdaContext(this.group, timeout));
    };
    let response: KafkaBatchResponse | void;
    try {
      response = await (this.options.concurrency ? this.options.concurrency.run(invoke) : invoke());
    } catch (error) {
      return { kind: "failed", cause: "function-error", error: error instanceof Error ? error : new Error(String(error)) };
    }
    return readResponse(response, items);
  }

  /**
   * What Lambda does after an invocation of one partition's batch:
   * - success: the batch is settled;
   * - partial batch response: records before the first reported one are settled, the partition
   *   resumes from it (with bisect, only the rest of the batch is retried);
   * - function error (or invalid response): with bisect, the batch is split in two and each half
   *   retried — splitting does not count as a retry; otherwise the batch is retried whole.
   * A record failing more than `maxRetries` times goes to the on-failure topic (with a whole
   * failed batch, every record of it) and the partition goes on after it.
   * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
   * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html#streams-batchfailurereporting-bisect
   * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-errors
   */
  private async handleOutcome(work: PartitionWork, batch: Batch, outcome: Outcome): Promise<void> {
    if (outcome.kind === "succeeded") return work.settle(batch.items);
    const records = (items: readonly Item[]) => items.map((item) => item.record);

    if (outcome.kind === "partial") {
      this.notify("onFailed", records(outcome.failed), "batch-item-failure");
      if (this.settings.partialBatchReading === PartialBatchReading.FailedRecordsOnly) {
        // Only the reported records come again; the others are done, whatever the function did with them.
        const failed = new Set(outcome.failed);
        work.settle(batch.items.filter((item) => !failed.has(item)));
        const retried = [...outcome.failed].sort((a, b) => a.offset - b.offset);
        const exhausted = retried.filter((item) => ++item.failures > this.settings.maxRetries);
        if (exhausted.length > 0) await this.giveUp(exhausted, "reported in batchItemFailures", false);
        const again = retried.filter((item) => !item.settled);
        for (const item of again) {
          const { topic, partition } = item.record;
          this.notify("onRetry", { topic, partition, offset: item.offset, retry: item.failures, maxRetries: this.settings.maxRetries, cause: "batch-item-failure" });
        }
        if (again.length > 0) work.putBack({ items: again, bisected: batch.bisected });
        return;
      }
      const first = outcome.failed.reduce((a, b) => (b.offset < a.offset ? b : a));
      work.settle(batch.items.filter((item) => item.offset < first.offset));
      await this.retryOrGiveUp(first, [first], "batch-item-failure", "reported in batchItemFailures", false);
      // A bisected batch is cut at the reported record and only its rest retried; otherwise the partition resumes from it.
      if (batch.bisected) work.putBack({ items: batch.items.filter((item) => item.offset >= first.offset), bisected: true });
      return;
    }

    this.notify("onFailed", records(batch.items), outcome.cause);
    if (this.settings.bisectOnError && batch.items.length > 1) {
      const middle = Math.ceil(batch.items.length / 2);
      const halves = [batch.items.slice(0, middle), batch.items.slice(middle)] as const;
      const { topic, partition } = batch.items[0]!.record;
      this.notify("onBisect", { topic, partition, offsets: batch.items.map((item) => item.offset), halves: [halves[0].length, halves[1].length] });
      work.putBack({ items: halves[1], bisected: true });
      work.putBack({ items: halves[0], bisected: true });
      return;
    }
    await this.retryOrGiveUp(batch.items[0]!, batch.items, outcome.cause, outcome.error.message, true);
    if (batch.bisected) work.putBack(batch);
  }

  /**
   * Counts a failure against `first`, the record the retry would start from. Within the retry
   * limit it is retried; past it, `discard` goes to the on-failure topic and is settled.
   */
  private async retryOrGiveUp(first: Item, discard: readonly Item[], cause: FailureCause, detail: string, functionError: boolean): Promise<void> {
    first.failures++;
    if (first.failures <= this.settings.maxRetries) {
      const { topic, partition } = first.record;
      this.notify("onRetry", { topic, partition, offset: first.offset, retry: first.failures, maxRetries: this.settings.maxRetries, cause });
      return;
    }
    await this.giveUp(discard, detail, functionError);
  }

  /** Sends records out of retries to the on-failure topic; the partition goes on after them. */
  private async giveUp(discard: readonly Item[], detail: string, functionError: boolean): Promise<void> {
    await this.sendToOnFailure(discard, OnFailureReason.RetriesExhausted, detail, functionError, discard.length);
    for (const item of discard) item.settled = true;
  }

  private async sendToOnFailure(items: readonly Item[], reason: OnFailureReason, detail: string, functionError: boolean, batchSize: number): Promise<void> {
    const now = new Date();
    const messages = items.map((item) =>
      onFailureRecord({
        group: this.group,
        record: mskRecord(item),
        reason,
        detail,
        invokeCount: item.invocations,
        batchSize,
        functionError,
        eventSource: this.eventSource,
        now,
      }),
    );
    // Written before the offsets move past them, so a crash re-sends rather than loses them.
    await this.producer!.send({ topic: this.options.onFailureTopic, acks: -1, messages });
    this.notify("onFailureDestination", items.map((item) => item.record), reason);
  }

  /** Commits up to the first record not yet settled, when that moved. */
  private async commit(payload: EachBatchPayload, work: PartitionWork): Promise<void> {
    const next = work.commitOffset();
    if (next === undefined) return;
    const { topic, partition } = payload.batch;
    payload.resolveOffset(String(next - 1));
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(next) }] }] });
    this.notify("onCommit", { topic, partition, offset: next });
  }

  private toItem(topic: string, partition: number, message: KafkaMessage): Item {
    const wanted = this.accepts(message.value);
    const payloadBytes = Math.ceil((((message.key?.length ?? 0) + (message.value?.length ?? 0)) * 4) / 3) + RECORD_FIELDS_BYTES;
    return { message, offset: Number(message.offset), record: describeRecord(topic, partition, message), wanted, settled: !wanted, invocations: 0, failures: 0, payloadBytes };
  }

  private isTooOld(item: Item): boolean {
    const { maxRecordAgeSeconds } = this.settings;
    return maxRecordAgeSeconds >= 0 && Date.now() - Number(item.message.timestamp) > maxRecordAgeSeconds * 1000;
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  private notify<K extends keyof MappingObserver>(name: K, ...args: Parameters<NonNullable<MappingObserver[K]>>): void {
    const callback = this.options.observer?.[name] as ((...a: typeof args) => void) | undefined;
    try {
      callback?.(...args);
    } catch (error) {
      // An observer is a view: it must never change what the mapping does.
      process.emitWarning(`event source mapping observer ${name} threw: ${(error as Error).message}`);
    }
  }
}

function describeRecord(topic: string, partition: number, message: KafkaMessage): DeliveredRecord {
  const offset = Number(message.offset);
  const key = message.key && message.key.length > 0 ? message.key.toString("utf8") : undefined;
  // Binary mode carries them in headers, structured mode in the value.
  let id: unknown = message.headers?.ce_id?.toString();
  let type: unknown = message.headers?.ce_type?.toString();
  if (id === undefined) {
    try {
      ({ id, type } = JSON.parse(message.value?.toString("utf8") ?? "null") ?? {});
    } catch {
      // Not JSON: no id or type to show.
    }
  }
  return {
    topic,
    partition,
    offset,
    ...(key === undefined ? {} : { key }),
    ...(typeof id === "string" ? { id } : {}),
    ...(typeof type === "string" ? { type } : {}),
  };
}

/**
 * The end offsets of the partitions where the group has no committed offset: where a new group
 * reading from LATEST starts ("just after the most recent record in the Kafka topic").
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-starting-positions.html
 */
async function uncommittedEnds(admin: Admin, groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), whileRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }))]);
  return ends
    .filter((end) => Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1) < 0)
    .map((end) => ({ partition: end.partition, offset: end.high }));
}

/**
 * Retries what fails with a retriable Kafka error for up to ~30 s: a broker that has just started
 * answers GROUP_LOAD_IN_PROGRESS to offset fetches while it loads __consumer_offsets, and
 * kafkajs's admin does not retry that itself.
 */
async function whileRetriable<T>(work: () => Promise<T>, deadline = Date.now() + 30_000): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1000)));
    }
  }
}

interface Settings {
  readonly partialBatchReading: PartialBatchReading;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly maxRetries: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectOnError: boolean;
  readonly startingPosition: StartingPosition;
  readonly maxPollers: number;
}

/** The options with Ensemble's consumer defaults, checked against the ranges Lambda accepts. */
function settingsOf(options: EventSourceMappingOptions): Settings {
  const retries = options.retries ?? CONSUMER_DEFAULTS.retries;
  const reading = options.partialBatchReading ?? process.env.ENSEMBLE_PARTIAL_BATCH_READING ?? PartialBatchReading.FailedRecordsOnly;
  const settings: Settings = {
    partialBatchReading: reading as PartialBatchReading,
    batchSize: options.batchSize ?? CONSUMER_DEFAULTS.batch.size,
    windowSeconds: options.windowSeconds ?? CONSUMER_DEFAULTS.batch.windowSeconds,
    // -1 means "until the record expires", but with an on-failure destination (always, here) AWS caps it at 10.
    maxRetries: retries < 0 ? MAX_RETRIES_WITH_DESTINATION : retries,
    maxRecordAgeSeconds: options.maxRecordAgeSeconds ?? CONSUMER_DEFAULTS.maxRecordAgeSeconds,
    bisectOnError: options.bisectOnError ?? CONSUMER_DEFAULTS.bisectOnError,
    startingPosition: options.startingPosition ?? CONSUMER_DEFAULTS.startingPosition,
    maxPollers: options.maxPollers ?? CONSUMER_DEFAULTS.scaling.maxPollers,
  };
  const problems = [
    !(Number.isInteger(settings.batchSize) && settings.batchSize >= 1) && `batchSize must be a whole number of at least 1 (got ${settings.batchSize})`,
    !(settings.windowSeconds >= 0 && settings.windowSeconds <= 300) && `windowSeconds must be within 0–300 (got ${settings.windowSeconds})`,
    !(Number.isInteger(settings.maxPollers) && settings.maxPollers >= 1) && `maxPollers must be a whole number of at least 1 (got ${settings.maxPollers})`,
    // Lambda refuses a destination that is one of the source topics (no recursion).
    options.onFailureTopic === options.topic && `the on-failure topic cannot be the source topic ${options.topic}`,
    !(Object.values(PartialBatchReading) as string[]).includes(reading) &&
      `partialBatchReading (or ENSEMBLE_PARTIAL_BATCH_READING) must be one of ${Object.values(PartialBatchReading).join(", ")} (got "${reading}")`,
  ].filter((problem): problem is string => typeof problem === "string");
  if (problems.length > 0) throw new Error(`Event source mapping ${options.groupId}: ${problems.join("; ")}.`);
  return settings;
}

/** What Lambda hands a function with each invocation; the deadline starts now. */
function lambdaContext(group: string, timeoutSeconds: number): LambdaContext {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error("The callback-style context methods are not emulated; return a promise.");
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: group,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${group}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${group}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** The record as the function received it, for the on-failure document. */
function mskRecord(item: Item): KafkaRecord {
  const { topic, partition } = item.record;
  return toMskEvent([{ topic, partition, messages: [item.message] }]).records[`${topic}-${partition}`]![0]!;
}
