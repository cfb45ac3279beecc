import { randomUUID } from "node:crypto";
import type { Message } from "kafkajs";
import { DEAD_LETTER_MAX_MESSAGE_BYTES, ON_FAILURE_CONDITIONS, type OnFailureReason } from "../../model";
import { deadLetterHeaders, deadLetterReference } from "../../runtime/dead-letter";
import type { KafkaEvent, KafkaRecord } from "../../runtime/msk";
import { fitsTopic } from "../../runtime/record-size";


export interface OnFailureRecordInput {
  readonly group: string;
  readonly record: KafkaRecord;
  readonly reason: OnFailureReason;
  /** Why, in a sentence: the last error, or the record's age. */
  readonly detail: string;
  /** Invocations that included the record. */
  readonly invokeCount: number;
  /** Records in the batch that was given up on. */
  readonly batchSize: number;
  /** The last invocation threw (or answered nonsense) rather than reporting the record. */
  readonly functionError: boolean;
  readonly eventSource: Pick<KafkaEvent, "eventSourceArn" | "bootstrapServers">;
  readonly now: Date;
}

/**
 * One record as Lambda writes it to a Kafka on-failure destination: a JSON document with the
 * failure metadata (`requestContext`, `responseContext`, `version`, `timestamp`,
 * `KafkaBatchInfo`) and the record itself under `payload`, in the shape the function receives
 * it (`records` keyed `<topic>-<partition>`, base64 key and value, byte-array headers). It keeps
 * the record's key, so it lands on the partition the key maps to (no key: round robin).
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format
 *
 * Ensemble adds the headers its wrapper puts on dead-lettered records (`ensemble-dlq-reason`
 * `retries-exhausted` | `record-too-old`, detail, group, source topic/partition/offset/timestamp),
 * so one dead-letter topic reads the same whoever wrote to it. The record's own headers are
 * inside `payload`, not on the message: its value is this document, not a CloudEvent.
 * `responseContext` is left out when the record never reached the function. A record too large
 * for this document to fit the topic's `max.message.bytes` (the document holds it in base64) is
 * written as a reference instead (`deadLetterReference`), so the partition goes on.
 */
export function onFailureRecord(input: OnFailureRecordInput): Message {
  const { record } = input;
  const payload = {
    bootstrapServers: input.eventSource.bootstrapServers,
    eventSource: "aws:kafka",
    eventSourceArn: input.eventSource.eventSourceArn,
    records: { [`${record.topic}-${record.partition}`]: [record] },
  };
  const document = {
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:local:000000000000:function:${input.group}:$LATEST`,
      condition: ON_FAILURE_CONDITIONS[input.reason],
      approximateInvokeCount: input.invokeCount,
    },
    ...(input.invokeCount > 0
      ? { responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(input.functionError ? { functionError: "Unhandled" } : {}) } }
      : {}),
    version: "1.0",
    timestamp: input.now.toISOString(),
    KafkaBatchInfo: {
      batchSize: input.batchSize,
      eventSourceArn: input.eventSource.eventSourceArn,
      bootstrapServers: input.eventSource.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(payload)),
      recordInfo: { offset: String(record.offset), timestamp: new Date(record.timestamp).toISOString() },
    },
    payload,
  };
  const source = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
  const message = {
    key: record.key ? Buffer.from(record.key, "base64") : null,
    value: JSON.stringify(document),
    headers: { "content-type": "application/json", ...deadLetterHeaders(input.group, input.reason, input.detail, source) },
  };
  if (fitsTopic(message, DEAD_LETTER_MAX_MESSAGE_BYTES)) return message;
  // The document carries the record base64-encoded: a record near the limit cannot be copied.
  const value = record.value ? Buffer.from(record.value, "base64") : undefined;
  return deadLetterReference(input.group, input.reason, input.detail, source, value, (value?.length ?? 0) + (message.key?.length ?? 0));
}
