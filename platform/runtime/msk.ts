import type { MSKEvent, MSKRecord } from "aws-lambda";

/** One record as the event source mapping delivers it; `key` is absent for a record without one. */
export type KafkaRecord = Omit<MSKRecord, "key"> & { key?: string };

/** What a Kafka event source mapping invokes a function with (MSK or self-managed Kafka). */
export type KafkaEvent = Omit<MSKEvent, "eventSource" | "records"> & {
  eventSource: "aws:kafka" | "SelfManagedKafka";
  records: Record<string, KafkaRecord[]>;
};

/**
 * The partial batch response of a Kafka event source mapping. Lambda resumes each reported
 * topic-partition from the reported offset, so that record and every later one in the
 * partition are retried: report only the first failure of a partition.
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html)
 */
export interface KafkaBatchResponse {
  batchItemFailures: KafkaBatchItemFailure[];
}

export interface KafkaBatchItemFailure {
  itemIdentifier: {
    /** The records key of the event, `<topic>-<partition>`. */
    partition: string;
    offset: number;
  };
}

/** A type guard for the event shape, checked before anything is decoded. */
export function isKafkaEvent(event: unknown): event is KafkaEvent {
  if (typeof event !== "object" || event === null) return false;
  const candidate = event as Partial<KafkaEvent>;
  return (
    (candidate.eventSource === "aws:kafka" || candidate.eventSource === "SelfManagedKafka") &&
    typeof candidate.records === "object" &&
    candidate.records !== null &&
    Object.values(candidate.records).every(Array.isArray)
  );
}

/** Records per topic-partition key, each in offset order. */
export function recordsByPartition(event: KafkaEvent): [string, KafkaRecord[]][] {
  return Object.entries(event.records).map(([key, records]) => [key, [...records].sort((a, b) => a.offset - b.offset)]);
}

/** The record's value as bytes; undefined when the record has none. */
export function recordValue(record: KafkaRecord): Buffer | undefined {
  return record.value ? Buffer.from(record.value, "base64") : undefined;
}

export function recordKey(record: KafkaRecord): Buffer | undefined {
  return record.key ? Buffer.from(record.key, "base64") : undefined;
}

/** Headers as text; MSK delivers each header value as an array of bytes. */
export function recordHeaders(record: KafkaRecord): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of record.headers ?? []) {
    for (const name in header) headers[name] = utf8Text(header[name]!);
  }
  return headers;
}

/** Header values are short and almost always ASCII: read those without a Buffer copy of the array. */
const SHORT_HEADER_BYTES = 256;

/** UTF-8 bytes as text, as `Buffer.from(bytes).toString("utf8")` reads them. */
function utf8Text(bytes: readonly number[]): string {
  if (bytes.length <= SHORT_HEADER_BYTES) {
    let text = "";
    for (let index = 0; index < bytes.length; index++) {
      const byte = bytes[index]!;
      // Anything else (multi-byte UTF-8, or not a byte) takes Buffer's decoding.
      if (!(byte >= 0 && byte < 0x80)) return Buffer.from(bytes).toString("utf8");
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return Buffer.from(bytes).toString("utf8");
}
