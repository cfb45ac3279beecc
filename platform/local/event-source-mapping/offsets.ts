import type { Admin } from "kafkajs";
import type { StartingPosition } from "../../model";

/**
 * Records not yet committed by the group, summed over partitions: the OffsetLag metric, "the
 * difference in offset between the last record written to a topic and the last record that
 * your function's consumer group processed". A partition the group never committed counts from
 * where the group would start.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
export async function offsetLag(admin: Admin, groupId: string, topic: string, startingPosition: StartingPosition): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return ends.reduce((sum, end) => {
    const done = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
    const from = done >= 0 ? Math.max(done, Number(end.low)) : startingPosition === "TRIM_HORIZON" ? Number(end.low) : Number(end.high);
    return sum + Number(end.high) - from;
  }, 0);
}

/**
 * The end offsets of the partitions where the group has no committed offset: where a new group
 * reading from LATEST starts ("just after the most recent record in the Kafka topic").
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-starting-positions.html
 */
export async function uncommittedEnds(admin: Admin, groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), whileRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }))]);
  return ends
    .filter((end) => Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1) < 0)
    .map((end) => ({ partition: end.partition, offset: end.high }));
}

/**
 * Retries what fails with a retriable Kafka error for up to ~30 s: a broker that has just started
 * answers GROUP_LOAD_IN_PROGRESS to offset fetches while it loads __consumer_offsets, and
 * kafkajs's admin does not retry that itself.
 */
async function whileRetriable<T>(work: () => Promise<T>, deadline = Date.now() + 30_000): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1000)));
    }
  }
}
