import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import { OnFailureReason } from "../../model";
import { createIdempotentProducer, SharedProducer, whenJoined } from "../../runtime/kafka";
import type { KafkaBatchResponse, KafkaEvent, KafkaRecord } from "../../runtime/msk";
import { MappingAlreadyStartedError, ThrownValueError } from "../errors";
import { consumerConfig, MAX_PAYLOAD_BYTES, payloadBytes } from "./batching";
import { PartitionCommits } from "./commits";
import { type Outcome, readResponse } from "./batch-response";
import { compileFilters, readValueJson, type RecordFilter } from "./filter";
import { lambdaContext } from "./lambda-context";
import { toMskEvent } from "../../runtime/msk-event";
import { describeRecord, type Notify, notifierFor } from "./observer";
import { offsetLag, uncommittedEnds } from "./offsets";
import { onFailureRecord } from "./on-failure-record";
import { handleOutcome, type OutcomeHandling } from "./outcome-handling";
import { type Batch, type Item, PartitionWork } from "./partition-work";
import { type EventSourceMappingOptions, type Settings, settingsOf } from "./settings";

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
  private readonly accepts: RecordFilter;
  private readonly eventSource: Pick<KafkaEvent, "eventSourceArn" | "bootstrapServers">;
  private readonly notify: Notify;
  private readonly outcomeHandling: OutcomeHandling;
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
    this.notify = notifierFor(options.observer);
    this.outcomeHandling = { settings: this.settings, notify: this.notify, sendToOnFailure: (...args) => this.sendToOnFailure(...args) };
  }

  /** Joins the consumer group and starts invoking; resolves once the group has been joined. */
  async start(): Promise<void> {
    if (this.consumer) throw new MappingAlreadyStartedError(`The event source mapping of ${this.groupId} is already started; stop() it before starting it again.`);
    this.stopping = false;
    const consumer = this.options.kafka.consumer(consumerConfig(this.groupId, this.settings, this.options));
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

  /** Records not yet committed by the group, summed over partitions: the OffsetLag metric. */
  async lag(): Promise<number> {
    return this.withAdmin((admin) => offsetLag(admin, this.groupId, this.topic, this.settings.startingPosition));
  }

  /** Works through one fetched partition batch until every record is settled or the mapping stops. */
  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition } = payload.batch;
    const items = payload.batch.messages.map((message) => this.toItem(topic, partition, message));
    const filtered = items.filter((item) => !item.wanted);
    if (filtered.length > 0) this.notify("onFiltered", filtered.map((item) => item.record));
    const work = new PartitionWork(items);
    const commits = new PartitionCommits((offset) => this.commit(payload, offset));

    try {
      await this.consumeWork(payload, work, commits);
    } finally {
      // Settled even when a batch threw: a commit left in flight could land after kafkajs' retry of the batch commits a lower offset.
      await commits.settled().catch(() => undefined);
    }
  }

  private async consumeWork(payload: EachBatchPayload, work: PartitionWork, commits: PartitionCommits): Promise<void> {
    const { topic, partition } = payload.batch;
    while (work.hasWork() && this.running(payload)) {
      const batch = work.next(this.settings.batchSize, MAX_PAYLOAD_BYTES)!;
      const tooOld = batch.items.filter((item) => this.isTooOld(item));
      if (tooOld.length > 0) {
        // Records past the maximum age skip the function (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
        await this.sendToOnFailure(tooOld, OnFailureReason.RecordTooOld, `older than ${this.settings.maxRecordAgeSeconds} s`, false, tooOld.length);
        work.settle(tooOld);
        if (batch.bisected) work.putBack(batch);
      } else {
        await handleOutcome(this.outcomeHandling, work, batch, await this.invoke(topic, partition, batch));
      }
      this.settleOffsets(payload, work, commits);
      if (this.running(payload)) await payload.heartbeat();
    }
    this.settleOffsets(payload, work, commits);
    await commits.settled();
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
      return { kind: "failed", cause: "function-error", error: error instanceof Error ? error : new ThrownValueError(String(error), { cause: error }) };
    }
    return readResponse(response, items);
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

  /** Resolves and commits up to the first record not yet settled, when that moved. */
  private settleOffsets(payload: EachBatchPayload, work: PartitionWork, commits: PartitionCommits): void {
    const next = work.commitOffset();
    if (next === undefined) return;
    payload.resolveOffset(String(next - 1));
    commits.request(next);
  }

  private async commit(payload: EachBatchPayload, next: number): Promise<void> {
    const { topic, partition } = payload.batch;
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(next) }] }] });
    this.notify("onCommit", { topic, partition, offset: next });
  }

  private toItem(topic: string, partition: number, message: KafkaMessage): Item {
    const valueJson = readValueJson(message.value);
    const wanted = this.accepts.acceptsJson(valueJson);
    const record = describeRecord(topic, partition, message, valueJson);
    return { message, offset: Number(message.offset), record, wanted, settled: !wanted, invocations: 0, failures: 0, payloadBytes: payloadBytes(message) };
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
}

/** The record as the function received it, for the on-failure document. */
function mskRecord(item: Item): KafkaRecord {
  const { topic, partition } = item.record;
  return toMskEvent([{ topic, partition, messages: [item.message] }]).records[`${topic}-${partition}`]![0]!;
}
