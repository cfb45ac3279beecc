import type { IHeaders, Kafka, Message } from "kafkajs";
import { DEAD_LETTER_DETAIL_MAX, DEAD_LETTER_MAX_MESSAGE_BYTES, DEAD_LETTER_PREFIX_BYTES, DeadLetterHeaders, type DeadLetterReason, names, PoisonReason } from "../model";
import { createIdempotentProducer, SharedProducer } from "./kafka";
import { type KafkaRecord, recordKey, recordValue } from "./msk";
import { fitsTopic } from "./record-size";

export { DeadLetterHeaders, PoisonReason };

/** Where a dead-lettered record came from. */
export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

/** The `ensemble-dlq-*` headers: why, by whom, and where the original is. */
export function deadLetterHeaders(group: string, reason: DeadLetterReason, detail: string, source: DeadLetterSource): IHeaders {
  return {
    [DeadLetterHeaders.Reason]: reason,
    [DeadLetterHeaders.Detail]: detail.slice(0, DEAD_LETTER_DETAIL_MAX),
    [DeadLetterHeaders.Group]: group,
    [DeadLetterHeaders.SourceTopic]: source.topic,
    [DeadLetterHeaders.SourcePartition]: String(source.partition),
    [DeadLetterHeaders.SourceOffset]: String(source.offset),
    [DeadLetterHeaders.SourceTimestamp]: String(source.timestamp),
  };
}

/**
 * A reference instead of a copy, for a record whose copy would not fit the dead-letter topic's
 * `max.message.bytes`: a producer would be refused (`MESSAGE_TOO_LARGE`) and, retried, the record
 * would hold up its partition for good. The value keeps the first bytes of the original, the
 * headers say where the whole record is (on its source topic, until that topic's retention).
 */
export function deadLetterReference(group: string, reason: DeadLetterReason, detail: string, source: DeadLetterSource, value: Buffer | undefined, size: number): Message {
  const note = ` (record of ${size} bytes: too large to copy, dead-lettered as a reference to ${source.topic} ${source.partition}@${source.offset})`;
  return {
    key: null,
    value: value ? value.subarray(0, DEAD_LETTER_PREFIX_BYTES) : null,
    headers: {
      ...deadLetterHeaders(group, reason, detail.slice(0, DEAD_LETTER_DETAIL_MAX - note.length) + note, source),
      [DeadLetterHeaders.Reference]: "true",
    },
  };
}

/**
 * The dead-letter record of `record`: the record unchanged (key, value, its own headers) plus the
 * `ensemble-dlq-*` headers, or a reference when that copy would not fit the topic.
 */
export function deadLetterMessage(group: string, record: KafkaRecord, reason: DeadLetterReason, detail: string): Message {
  const source = { topic: record.topic, partition: Number(record.partition), offset: Number(record.offset), timestamp: Number(record.timestamp) };
  const headers: IHeaders = {};
  for (const header of record.headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) headers[name] = Buffer.from(bytes);
  }
  Object.assign(headers, deadLetterHeaders(group, reason, detail, source));
  const copy = { key: recordKey(record) ?? null, value: recordValue(record) ?? null, headers };
  if (fitsTopic(copy, DEAD_LETTER_MAX_MESSAGE_BYTES)) return copy;
  const size = (copy.key?.length ?? 0) + (copy.value?.length ?? 0);
  return deadLetterReference(group, reason, detail, source, copy.value ?? undefined, size);
}

/** Writes a group's unprocessable records to `<group>.dlq`, with the reason in headers. */
export class DeadLetterWriter {
  readonly topic: string;
  private readonly producer: SharedProducer;

  constructor(
    readonly group: string,
    kafka: () => Kafka,
  ) {
    this.topic = names.deadLetterTopic(group);
    this.producer = new SharedProducer(() => createIdempotentProducer(kafka()));
  }

  /** Writes the record (or a reference to it); resolves once the topic's in-sync replicas have it. */
  async write(record: KafkaRecord, reason: DeadLetterReason, detail: string): Promise<{ reference: boolean }> {
    const message = deadLetterMessage(this.group, record, reason, detail);
    await this.producer.send({ topic: this.topic, acks: -1, messages: [message] });
    return { reference: message.headers?.[DeadLetterHeaders.Reference] !== undefined };
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
