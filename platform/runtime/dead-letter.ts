import type { IHeaders, Kafka } from "kafkajs";
import { names } from "../model";
import { type KafkaRecord, recordKey, recordValue } from "./msk";
import { createIdempotentProducer, SharedProducer } from "./kafka";

/** Why a record can never succeed and went straight to the dead-letter topic. */
export const PoisonReason = {
  EmptyValue: "empty-value",
  NotJson: "not-json",
  NotCloudEvent: "not-cloudevent",
  UnknownType: "unknown-type",
  SchemaInvalid: "schema-invalid",
} as const;
export type PoisonReason = (typeof PoisonReason)[keyof typeof PoisonReason];

/** Headers a dead-lettered record carries besides its own, so it can be understood and redriven. */
export const DeadLetterHeaders = {
  Reason: "ensemble-dlq-reason",
  Detail: "ensemble-dlq-detail",
  Group: "ensemble-dlq-group",
  SourceTopic: "ensemble-dlq-source-topic",
  SourcePartition: "ensemble-dlq-source-partition",
  SourceOffset: "ensemble-dlq-source-offset",
  SourceTimestamp: "ensemble-dlq-source-timestamp",
} as const;

/** Writes a group's unprocessable records to `<group>.dlq`, unchanged, with the reason in headers. */
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

  async write(record: KafkaRecord, reason: PoisonReason, detail: string): Promise<void> {
    const headers: IHeaders = {};
    for (const header of record.headers ?? []) {
      for (const [name, bytes] of Object.entries(header)) headers[name] = Buffer.from(bytes);
    }
    Object.assign(headers, {
      [DeadLetterHeaders.Reason]: reason,
      [DeadLetterHeaders.Detail]: detail.slice(0, 4_000),
      [DeadLetterHeaders.Group]: this.group,
      [DeadLetterHeaders.SourceTopic]: record.topic,
      [DeadLetterHeaders.SourcePartition]: String(record.partition),
      [DeadLetterHeaders.SourceOffset]: String(record.offset),
      [DeadLetterHeaders.SourceTimestamp]: String(record.timestamp),
    });
    const producer = await this.producer.get();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: recordKey(record) ?? null, value: recordValue(record) ?? null, headers }],
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
