import type { Admin } from "kafkajs";
import { RETENTION_DEFAULTS, type Topic, topicConfigs } from "../model";

export interface EnsureTopicsOptions {
  /** @default 3 */
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
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic: topic.name,
      numPartitions: options.partitions ?? 3,
      configEntries: Object.entries(topicConfigs(topic.purpose, hours(topic))).map(([name, value]) => ({ name, value })),
    })),
  });
  return missing.map((topic) => topic.name);
}
