import { TOPIC_MAX_MESSAGE_BYTES } from "../model";

type Bytes = Buffer | string | null | undefined;

/** A record as a producer sends it: what counts against `max.message.bytes`. */
export interface SizedRecord {
  readonly key?: Bytes;
  readonly value?: Bytes;
  readonly headers?: Readonly<Record<string, Bytes | readonly Bytes[]>>;
}

// Kafka's v2 record batch: a 61-byte batch header, then per record its length, attributes,
// timestamp and offset deltas, key and value lengths and the header count (varints of at most
// 5 or 10 bytes), and per header two more length varints.
// https://kafka.apache.org/documentation/#recordbatch
const BATCH_HEADER = 61;
const RECORD_FIELDS = 5 + 1 + 10 + 5 + 5 + 5 + 5;
const HEADER_FIELDS = 5 + 5;

const length = (bytes: Bytes) => (bytes === null || bytes === undefined ? 0 : typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length);

/**
 * An upper bound of the bytes `record` takes as a batch of its own on the wire, which is what a
 * topic's `max.message.bytes` limits (uncompressed: Ensemble's producers do not compress).
 */
export function recordBatchBytes(record: SizedRecord): number {
  let total = BATCH_HEADER + RECORD_FIELDS + length(record.key) + length(record.value);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) total += HEADER_FIELDS + Buffer.byteLength(name) + length(one as Bytes);
  }
  return total;
}

/** Whether `record` fits a topic of `limit` bytes (a context topic's, `TOPIC_MAX_MESSAGE_BYTES`, by default). */
export function fitsTopic(record: SizedRecord, limit = TOPIC_MAX_MESSAGE_BYTES): boolean {
  return recordBatchBytes(record) <= limit;
}
