import type { Topic } from "./validate";

/**
 * Partitions of a topic when context topics have `partitions`: dead-letter topics get half, at
 * least 1 (they carry only what a group gave up on, and redrive reads them in order).
 */
export function partitionsOf(topic: Pick<Topic, "purpose">, partitions: number): number {
  return topic.purpose === "events" ? partitions : Math.max(1, Math.ceil(partitions / 2));
}
