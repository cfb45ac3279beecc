import type { Admin } from "kafkajs";
import { partitionsOf, RETENTION_DEFAULTS, type Topic, TOPIC_DEFAULTS, topicConfigs } from "../model";
import { TopicsNotReadyError } from "./errors";

export interface EnsureTopicsOptions {
  /** Partitions of context topics (dead-letter topics get half, at least 1). @default TOPIC_DEFAULTS.partitions */
  readonly partitions?: number;
  /** Retention of context topics, hours. @default RETENTION_DEFAULTS.eventsHours */
  readonly retentionHours?: number;
  /** Retention of dead-letter topics, hours. @default RETENTION_DEFAULTS.deadLettersHours */
  readonly deadLetterRetentionHours?: number;
}

/**
 * Creates the topics a topology declares that the broker lacks, with the configs the infra gives
 * them on AWS (retention, segment roll, `max.message.bytes`); returns the names it created.
 */
export async function ensureTopics(admin: Admin, topics: readonly Topic[], options: EnsureTopicsOptions = {}): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic.name));
  if (missing.length === 0) return [];
  const hours = (topic: Topic) =>
    topic.purpose === "events" ? (options.retentionHours ?? RETENTION_DEFAULTS.eventsHours) : (options.deadLetterRetentionHours ?? RETENTION_DEFAULTS.deadLettersHours);
  await admin.createTopics({
    // Waited for below: kafkajs' own wait gives up when a broker the metadata comes from does not
    // know the new topic yet (UNKNOWN_TOPIC_OR_PARTITION), as happens on a cluster of several.
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      topic: topic.name,
      numPartitions: partitionsOf(topic, options.partitions ?? TOPIC_DEFAULTS.partitions),
      configEntries: Object.entries(topicConfigs(topic.purpose, hours(topic))).map(([name, value]) => ({ name, value })),
    })),
  });
  await untilServed(admin, missing.map((topic) => topic.name));
  return missing.map((topic) => topic.name);
}

/**
 * Resolves once every partition of `topics` is served by its leader; gives up after 30 s. The
 * metadata names a leader before that leader serves the partition (KRaft publishes the metadata
 * image first), so a produce right then fails NOT_LEADER_FOR_PARTITION; a ListOffsets answered
 * by every leader is the proof that it is ready.
 */
export async function untilServed(admin: Admin, topics: readonly string[], deadline = Date.now() + 30_000): Promise<void> {
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.partitionErrorCode === 0 && p.leader >= 0));
      if (led) {
        await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        return;
      }
    } catch (error) {
      if (!notServedYet(error) || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      throw new TopicsNotReadyError(
        `Topics ${topics.join(", ")} have no leader serving every partition after 30 s; check that every broker of the cluster is up (its log says why a partition has no leader).`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A retriable Kafka error, or the TypeError kafkajs' `fetchTopicOffsets` throws when a
 * ListOffsets answer leaves the topic out, as a new partition's leader may just after creation
 * (tulios/kafkajs#461, open; seen on the 3-node cluster): both mean "not served yet".
 */
function notServedYet(error: unknown): boolean {
  return (error as { retriable?: boolean }).retriable === true || (error instanceof TypeError && /high\.pop|partitions/.test(error.message));
}
