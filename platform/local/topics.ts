import type { Admin } from "kafkajs";
import type { Topic } from "../model";

export interface EnsureTopicsOptions {
  /** @default 3 */
  readonly partitions?: number;
}

/** Creates the topics a topology declares that the broker lacks; returns the names it created. */
export async function ensureTopics(admin: Admin, topics: readonly Topic[], options: EnsureTopicsOptions = {}): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic: topic.name, numPartitions: options.partitions ?? 3 })),
  });
  return missing.map((topic) => topic.name);
}
