import { randomUUID } from "node:crypto";
import { type Kafka, Partitioners } from "kafkajs";
import { RuntimeError } from "./errors";
import { whenJoined } from "./kafka";

/**
 * Did an earlier attempt already publish this event? A publish that timed out may still have
 * reached the broker (a request sitting in a stalled broker's socket is appended when it wakes
 * up), and a new attempt cannot reuse the old one's idempotent-producer sequence: it runs in
 * another process, or after the old producer was dropped. So a retried or redriven milestone
 * reads the key's partition from when the first attempt could have written, and publishes only
 * if its event id is not there. Only retries pay for it; a first attempt never reads.
 */
export interface PublishedCheckRequest {
  readonly kafka: Kafka;
  readonly topic: string;
  /** The event's Kafka key: it decides the partition, as the publisher's partitioner does. */
  readonly key: string;
  readonly eventId: string;
  /** Epoch ms before which no attempt of this occurrence wrote (the state's entry, less clock skew). */
  readonly since: number;
  /** The prefix of the consumer group the read uses (a fresh one each time, never committed). */
  readonly groupPrefix: string;
  /** Epoch ms by which to have an answer. */
  readonly deadline: number;
  /** Records read at most; a longer stretch is read from its last ones, with `complete: false`. */
  readonly maxRecords?: number;
}

export interface PublishedCheck {
  /** Where the event already is, or undefined. */
  readonly found: { readonly partition: number; readonly offset: string } | undefined;
  /** Records read. */
  readonly read: number;
  /** False when the stretch since `since` was longer than `maxRecords`: only its end was read. */
  readonly complete: boolean;
}

/** The check could not finish in time; the caller cannot know, so it must not publish yet. */
export class PublishedCheckTimeout extends RuntimeError {
  constructor(message: string) {
    super(message);
    this.name = "PublishedCheckTimeout";
  }
}

export const DEFAULT_CHECK_MAX_RECORDS = 20_000;

export async function findPublished(request: PublishedCheckRequest): Promise<PublishedCheck> {
  const { kafka, topic, eventId } = request;
  const maxRecords = request.maxRecords ?? DEFAULT_CHECK_MAX_RECORDS;
  const admin = kafka.admin();
  await admin.connect();
  let partition: number;
  let from: number;
  let end: number;
  let complete = true;
  try {
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    partition = Partitioners.DefaultPartitioner()({ topic, partitionMetadata: metadata!.partitions, message: { key: request.key, value: null } });
    const [atTime, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, request.since), admin.fetchTopicOffsets(topic)]);
    end = Number(ends.find((p) => p.partition === partition)!.high);
    const first = Number(atTime.find((p) => p.partition === partition)?.offset ?? -1);
    // -1: no record at or after `since`.
    from = first < 0 ? end : first;
    if (end - from > maxRecords) {
      from = end - maxRecords;
      complete = false;
    }
  } finally {
    await admin.disconnect();
  }
  if (from >= end) return { found: undefined, read: 0, complete };

  const consumer = kafka.consumer({ groupId: `${request.groupPrefix}.${randomUUID()}`, maxWaitTimeInMs: 100 });
  let read = 0;
  let found: PublishedCheck["found"];
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  const needle = Buffer.from(eventId);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    // Seeking once the group is joined, before the first fetch (a seek right after run() fails
    // when run's start has not got that far).
    const joined = whenJoined(consumer, () => consumer.seek({ topic, partition, offset: String(from) }));
    let crash: unknown;
    joined.catch((error: unknown) => ((crash = error), settle()));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < from) continue;
          read++;
          if (idOf(message.value, message.headers?.ce_id, needle) === eventId) found = { partition, offset: message.offset };
          if (found || offset >= end - 1) return settle();
        }
      },
    });
    const timeout = setTimeout(settle, Math.max(0, request.deadline - Date.now()));
    await done;
    clearTimeout(timeout);
    if (crash !== undefined) throw crash;
  } finally {
    await consumer.disconnect();
  }
  if (!found && read < end - from) {
    throw new PublishedCheckTimeout(`read ${read} of the ${end - from} records of ${topic} partition ${partition} since the first attempt before the deadline`);
  }
  return { found, read, complete };
}

/**
 * The CloudEvent id of a record: the `ce_id` header (binary mode) or the value's `id`
 * (structured), parsed only when the value mentions `needle` (cheap for the records that don't).
 */
function idOf(value: Buffer | null, header: Buffer | string | (Buffer | string)[] | undefined, needle: Buffer): string | undefined {
  if (header !== undefined) return (Array.isArray(header) ? header[0] : header)?.toString();
  if (!value?.includes(needle)) return undefined;
  try {
    const id = (JSON.parse(value.toString("utf8")) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
