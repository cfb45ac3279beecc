import type { KafkaMessage } from "kafkajs";
import type { KafkaEvent, KafkaRecord } from "./msk";

export interface PartitionMessages {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface MskEventOptions {
  /** @default "arn:aws:kafka:local:000000000000:cluster/ensemble-local/local" */
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
}

/**
 * Shapes kafkajs messages exactly as a Lambda event source mapping for Amazon MSK delivers them:
 * records keyed `<topic>-<partition>`, key and value in base64, each header value as an array
 * of bytes, timestamps in milliseconds.
 */
export function toMskEvent(batches: readonly PartitionMessages[], options: MskEventOptions = {}): KafkaEvent {
  const records: Record<string, KafkaRecord[]> = {};
  for (const { topic, partition, messages } of batches) {
    if (messages.length === 0) continue;
    const key = `${topic}-${partition}`;
    records[key] = [...(records[key] ?? []), ...messages.map((message) => toMskRecord(topic, partition, message))];
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: options.eventSourceArn ?? "arn:aws:kafka:local:000000000000:cluster/ensemble-local/local",
    bootstrapServers: options.bootstrapServers ?? "localhost:9092",
    records,
  };
}

function toMskRecord(topic: string, partition: number, message: KafkaMessage): KafkaRecord {
  const headers: Record<string, number[]>[] = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.push({ [name]: byteArray(v) });
  }
  const record: KafkaRecord = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: "CREATE_TIME",
    value: message.value ? message.value.toString("base64") : "",
    headers,
  };
  if (message.key) record.key = message.key.toString("base64");
  return record;
}

/** A header value as the array of bytes MSK delivers; read straight from a Buffer, not copied then spread. */
function byteArray(value: Buffer | string): number[] {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  const array = new Array<number>(bytes.length);
  for (let index = 0; index < bytes.length; index++) array[index] = bytes[index]!;
  return array;
}
