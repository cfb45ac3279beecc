import { channel } from "node:diagnostics_channel";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { Logger } from "@aws-lambda-powertools/logger";
import { type Span, type SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Context as LambdaContext } from "aws-lambda";
import type { Kafka } from "kafkajs";
import { type ConsumedEvent, type ConsumerDefinition, type ContextEvent, PoisonReason } from "../model";
import { DeadLetterWriter } from "./dead-letter";
import { contentDigest, decodeEvent, type FilterReason, type ReceivedEnvelope } from "./envelope";
import { RuntimeError } from "./errors";
import { idempotencyStoreFromEnv, idempotencyTtlFromEnv, once } from "./idempotency";
import { contextUnder, fromTraceparent, propagated, tracer, tracingOn } from "./trace-context";
import { createKafka, kafkaSettingsFromEnv } from "./kafka";
import {
  isKafkaEvent,
  type KafkaBatchItemFailure,
  type KafkaBatchResponse,
  type KafkaRecord,
  recordHeaders,
  recordKey,
  recordsByPartition,
  recordValue,
} from "./msk";

/**
 * The event a handler receives: the envelope's attributes, and `type`/`data` as the union of
 * the subscribed events, so checking `type` narrows `data`.
 */
export type ReceivedEvent<C extends ConsumerDefinition> = ReceivedEnvelope & ConsumedEvent<C>;

export interface RecordContext {
  /** The consumer group's name. */
  readonly group: string;
  /** Tagged with the event id, type and correlation id. */
  readonly logger: Logger;
  readonly correlationId: string | undefined;
  /** Where the record came from. */
  readonly record: { readonly topic: string; readonly partition: number; readonly offset: number; readonly key: string | undefined };
  readonly lambdaContext: LambdaContext | undefined;
  /**
   * The trace this record's handling is part of: its `process` span's context when a provider
   * records spans, else the producer's (the event's `traceparent`). Pass it on to what the
   * handler starts (`startsWorkflow` does, as the execution's trace header).
   */
  readonly trace: SpanContext | undefined;
}

export type EventHandler<C extends ConsumerDefinition> = (event: ReceivedEvent<C>, context: RecordContext) => Promise<void> | void;

/** What one invocation did, for logs, metrics and the local runtime's live view. */
export interface BatchStats {
  readonly group: string;
  /** Records the handler ran for. */
  handled: number;
  /** Records whose event id this group had already handled (same content): skipped. */
  duplicates: number;
  /** Valid events the group does not subscribe to (binary mode, which MSK's filter cannot see): skipped. */
  filtered: number;
  filterReasons: Partial<Record<FilterReason, number>>;
  /** Records that can never succeed, written to the dead-letter topic. */
  deadLettered: number;
  deadLetterReasons: Partial<Record<PoisonReason, number>>;
  /** Dead-lettered as a reference: a copy would not fit the dead-letter topic. */
  references: number;
  /** Records the handler (or the dead-letter write) failed on: reported, so they are retried. */
  failed: number;
  /** Records not attempted because an earlier record with their key failed: reported too. */
  skipped: number;
}

/**
 * The diagnostics channel every consumer wrapper publishes its {@link BatchStats} on, once per
 * invocation; the local runtime subscribes to count what the wrappers filtered.
 */
export const BATCH_STATS_CHANNEL = "ensemble:consumer:batch";
const batchStats = channel(BATCH_STATS_CHANNEL);

export interface ConsumeOptions {
  /** Client for the dead-letter producer. @default one from `kafkaSettingsFromEnv()` */
  readonly kafka?: Kafka;
  /** Where handled event ids are remembered. @default `idempotencyStoreFromEnv()` */
  readonly idempotency?: BasePersistenceLayer;
  /** @default a Powertools Logger named after the group */
  readonly logger?: Logger;
  /** Receives the stats of each invocation. */
  readonly onBatch?: (stats: BatchStats) => void;
}

/** The invocation was not a Kafka event: a wiring error, so the whole invocation fails. */
export class ConsumerInputError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConsumerInputError";
  }
}

/** A Lambda handler for a Kafka event source mapping. */
export interface KafkaHandler {
  (event: unknown, context?: LambdaContext): Promise<KafkaBatchResponse>;
  /** Disconnects the dead-letter producer; Lambda never needs it, long-lived processes do. */
  close(): Promise<void>;
}

type Outcome = "handled" | "duplicate" | "filtered" | "dead-lettered" | "failed";

/** What the idempotent unit stores per event id: the content it had, to tell a reused id from a redelivery. */
interface Handled {
  readonly handled: string;
  readonly content?: string;
}

/**
 * Turns a typed handler into the Lambda handler of a consumer group's Kafka event source
 * mapping. Per record it reads the CloudEvent (structured or binary mode), validates it against
 * the subscribed event's schema and calls the handler once per event id. A record that can
 * never succeed goes to the group's dead-letter topic with its reason and the batch goes on.
 *
 * A handler failure stops its record's key (its entity) in that partition: the failed record
 * and every later record with the same key are reported in `batchItemFailures`, so none is lost
 * and no entity's events are reordered, whichever way Lambda reads the response — "retry only
 * the failed records" (the Kafka page) or "resume from the lowest reported record" (the Kinesis
 * and DynamoDB pages; records after it that were handled come again and are skipped as
 * duplicates). Records of other keys, and of other partitions, go on.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 *
 * @example
 * export const handler = consume(consumer, async (event, { logger }) => {
 *   if (event.type === "orders.OrderPlaced") await notify(event.data.customerId);
 * });
 */
export function consume<C extends ConsumerDefinition>(consumer: C, handler: EventHandler<C>, options: ConsumeOptions = {}): KafkaHandler {
  const group = consumer.name;
  const logger = options.logger ?? new Logger({ serviceName: group });
  const subscribed: ReadonlyMap<string, ContextEvent> = new Map(consumer.on.map((event) => [event.type, event]));
  const deadLetters = new DeadLetterWriter(group, () => options.kafka ?? createKafka(kafkaSettingsFromEnv(`${group}-dlq`)));
  const store = options.idempotency ?? idempotencyStoreFromEnv();
  // The group's deduplication window: the infra derives it from its topics' retention, no other setting.
  const ttlSeconds = idempotencyTtlFromEnv();

  // The idempotent unit is "this group handled this event id"; the handler runs inside it.
  // `call.ran` tells a first run from a remembered one, per call, so concurrent calls cannot mix.
  const handleOnce = once(
    async ({ event, context, call }: { event: ReceivedEnvelope; context: RecordContext; call: { ran: boolean; content: string } }): Promise<Handled> => {
      call.ran = true;
      await handler(event as ReceivedEvent<C>, context);
      return { handled: event.id, content: call.content };
    },
    {
      group,
      key: ({ event }) => event.id,
      describe: ({ event, context }) => ({ eventType: event.type, topic: context.record.topic }),
      store,
      ttlSeconds,
    },
  );

  // A record is dead-lettered once: a response read as "resume from the lowest reported record"
  // hands records after a failure back even when they were dead-lettered the first time.
  const deadLetterOnce = once(
    async ({ record, reason, detail, call }: { record: KafkaRecord; reason: PoisonReason; detail: string; call: { ran: boolean } }) => {
      call.ran = true;
      return deadLetters.write(record, reason, detail);
    },
    { group, key: ({ record }) => `dead-letter:${record.topic}:${record.partition}:${record.offset}`, store, ttlSeconds },
  );

  async function deadLetter(record: KafkaRecord, reason: PoisonReason, detail: string, stats: BatchStats, lambdaContext: LambdaContext | undefined): Promise<Outcome> {
    const coordinates = { topic: record.topic, partition: Number(record.partition), offset: record.offset };
    let written: { reference: boolean };
    const call = { ran: false };
    try {
      written = await deadLetterOnce({ record, reason, detail, call }, lambdaContext);
    } catch (error) {
      // Not written anywhere yet: retry the record rather than lose it.
      logger.error("dead-letter write failed; the record will be retried", { ...coordinates, reason, error: error as Error });
      return "failed";
    }
    stats.deadLetterReasons[reason] = (stats.deadLetterReasons[reason] ?? 0) + 1;
    if (written.reference) stats.references++;
    if (call.ran) logger.warn("record dead-lettered", { ...coordinates, reason, detail, reference: written.reference, deadLetterTopic: deadLetters.topic });
    return "dead-lettered";
  }

  async function processRecord(record: KafkaRecord, lambdaContext: LambdaContext | undefined, stats: BatchStats): Promise<Outcome> {
    const coordinates = { topic: record.topic, partition: Number(record.partition), offset: record.offset };
    const decoded = decodeEvent(recordValue(record), recordHeaders(record), subscribed);
    if (decoded.verdict === "poison") return deadLetter(record, decoded.reason, decoded.detail, stats, lambdaContext);
    if (decoded.verdict === "filtered") {
      stats.filterReasons[decoded.reason] = (stats.filterReasons[decoded.reason] ?? 0) + 1;
      logger.debug("record filtered", { ...coordinates, reason: decoded.reason, detail: decoded.detail });
      return "filtered";
    }

    const { event } = decoded;
    const context = new HandlerContext(group, logger, event, { ...coordinates, key: recordKey(record)?.toString("utf8") }, lambdaContext);
    // A span per record, in the producer's trace and linked to its span; none without a provider,
    // when the handler's trace is the producer's, read only if the handler asks (context.trace).
    const span = tracingOn() ? processSpan(group, event, context) : undefined;
    const call = { ran: false, content: contentDigest(event) };
    let result: Handled;
    try {
      result = await handleOnce({ event, context, call }, lambdaContext);
    } catch (error) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span?.end();
      context.logger.error("handler failed; the record will be retried", { ...coordinates, error: error as Error });
      return "failed";
    }
    span?.setAttribute("ensemble.outcome", call.ran ? "handled" : "duplicate");
    span?.end();
    if (call.ran) return "handled";
    // Remembered before contents were (no `content`): a redelivery, as before.
    if (result.content !== undefined && result.content !== call.content) {
      const detail = `event id ${event.id} (${event.type}) was already handled by group "${group}" with different content: the producer reused an id, and this event would be skipped as a duplicate. Give each event its own id.`;
      return deadLetter(record, PoisonReason.IdConflict, detail, stats, lambdaContext);
    }
    return "duplicate";
  }

  const invoke = async (event: unknown, lambdaContext?: LambdaContext): Promise<KafkaBatchResponse> => {
    if (!isKafkaEvent(event)) {
      throw new ConsumerInputError(
        `Consumer group "${group}" was invoked with something that is not a Kafka event (expected eventSource "aws:kafka" and records by topic-partition); check its event source mapping.`,
      );
    }
    const stats: BatchStats = { group, handled: 0, duplicates: 0, filtered: 0, filterReasons: {}, deadLettered: 0, deadLetterReasons: {}, references: 0, failed: 0, skipped: 0 };
    const batchItemFailures: KafkaBatchItemFailure[] = [];

    // Partitions are independent; within one, records go in offset order. A failure stops its
    // key (one entity's events stay in order): later records with that key are not attempted.
    // Every record not completed is reported, so none is lost under either reading of the
    // response; records of other keys go on (keyless records promise no order).
    for (const [partitionKey, records] of recordsByPartition(event)) {
      const stopped = new Set<string>();
      for (const record of records) {
        // A keyless record (no key, or MSK's null) follows no other and holds none back.
        const key = typeof record.key === "string" && record.key.length > 0 ? record.key : undefined;
        if (key !== undefined && stopped.has(key)) {
          stats.skipped++;
          batchItemFailures.push({ itemIdentifier: { partition: partitionKey, offset: record.offset } });
          continue;
        }
        const outcome = await processRecord(record, lambdaContext, stats);
        if (outcome === "handled") stats.handled++;
        else if (outcome === "duplicate") stats.duplicates++;
        else if (outcome === "filtered") stats.filtered++;
        else if (outcome === "dead-lettered") stats.deadLettered++;
        else {
          stats.failed++;
          if (key !== undefined) stopped.add(key);
          batchItemFailures.push({ itemIdentifier: { partition: partitionKey, offset: record.offset } });
        }
      }
    }
    logger.info("batch processed", { ...stats });
    options.onBatch?.(stats);
    if (batchStats.hasSubscribers) batchStats.publish(stats);
    return { batchItemFailures };
  };
  return Object.assign(invoke, { close: () => deadLetters.close() });
}

/** The `process` span of a record, under the producer's; the handler's trace becomes the span's. */
function processSpan(group: string, event: ReceivedEnvelope, context: HandlerContext): Span {
  const producer = fromTraceparent(event.extensions.traceparent, event.extensions.tracestate);
  const span = tracer().startSpan(
    `process ${event.type}`,
    {
      kind: SpanKind.CONSUMER,
      links: producer ? [{ context: producer }] : [],
      attributes: { "messaging.system": "kafka", "messaging.consumer.group.name": group, "messaging.message.id": event.id, "ensemble.key": event.subject ?? "" },
    },
    contextUnder(producer),
  );
  context.trace = producer ? propagated(span.spanContext(), producer) : undefined;
  return span;
}

/**
 * The {@link RecordContext} of one record. Its child logger is built on first use: a Powertools
 * child logger cost about half the wrapper's time per record (npm run bench), and most
 * handlers never log. A class rather than closures per record, which cost allocations too.
 */
class HandlerContext implements RecordContext {
  readonly correlationId: string | undefined;
  /** `null` until read or set: without a span, the event's `traceparent` is parsed on first read. */
  #trace: SpanContext | undefined | null = null;
  readonly #groupLogger: Logger;
  readonly #event: ReceivedEnvelope;
  #logger: Logger | undefined;

  constructor(
    readonly group: string,
    groupLogger: Logger,
    event: ReceivedEnvelope,
    readonly record: RecordContext["record"],
    readonly lambdaContext: LambdaContext | undefined,
  ) {
    this.#groupLogger = groupLogger;
    this.#event = event;
    this.correlationId = event.correlationId;
  }

  get trace(): SpanContext | undefined {
    if (this.#trace === null) this.#trace = fromTraceparent(this.#event.extensions.traceparent, this.#event.extensions.tracestate);
    return this.#trace;
  }

  set trace(trace: SpanContext | undefined) {
    this.#trace = trace;
  }

  get logger(): Logger {
    const { id: eventId, type: eventType, correlationId } = this.#event;
    return (this.#logger ??= this.#groupLogger.createChild({ persistentKeys: { eventId, eventType, correlationId } }));
  }
}
