import type { TopicPurpose } from "./validate";
import { DEAD_LETTER_MAX_MESSAGE_BYTES, TOPIC_MAX_MESSAGE_BYTES } from "./limits";
import { ModelError } from "./errors";

/**
 * How long topics keep records, and how long a consumer group remembers the event ids it
 * handled: derived from the same retention, so a replay or a redrive of anything still on a topic
 * the group reads is deduplicated.
 */

/** Retention when the stack sets none, in hours (`ensemble:kafka.retentionHours`, `deadLetterRetentionHours`). */
export const RETENTION_DEFAULTS = {
  /** Context topics: a week. */
  eventsHours: 168,
  /** Dead-letter topics: two weeks, to fix a consumer and redrive. */
  deadLettersHours: 336,
} as const;

const HOUR_MS = 3_600_000;
/** Kafka's `log.retention.check.interval.ms` (5 minutes), plus margin for clocks and a slow cleaner. */
const DELETION_SLACK_MS = HOUR_MS;

/**
 * The configs of a topic of `purpose` kept for `hours`. `retention.ms` is only a lower bound: Kafka
 * deletes whole segments, once the newest record of a segment is older than `retention.ms`, so
 * a record lives up to `retention.ms + segment.ms` (plus a cleaner run). Setting `segment.ms`
 * (Kafka's default is 7 days) keeps that bound close to the retention.
 * https://kafka.apache.org/documentation/#topicconfigs_retention.ms
 * https://kafka.apache.org/documentation/#topicconfigs_segment.ms
 */
export function topicConfigs(purpose: TopicPurpose, hours: number): Record<"retention.ms" | "segment.ms" | "max.message.bytes", string> {
  const retentionMs = hours * HOUR_MS;
  return {
    "retention.ms": String(retentionMs),
    "segment.ms": String(segmentMs(retentionMs)),
    "max.message.bytes": String(purpose === "events" ? TOPIC_MAX_MESSAGE_BYTES : DEAD_LETTER_MAX_MESSAGE_BYTES),
  };
}

/** A segment rolls daily, or sooner for a retention under a day. */
function segmentMs(retentionMs: number): number {
  return Math.min(retentionMs, 24 * HOUR_MS);
}

/** The longest a record can stay on a topic with a retention of `hours`. */
export function longestLifeMs(hours: number): number {
  const retentionMs = hours * HOUR_MS;
  return retentionMs + segmentMs(retentionMs) + DELETION_SLACK_MS;
}

/**
 * How long a consumer group must remember a handled event id: as long as any record it can read
 * again may live — every context topic it subscribes to, and its dead-letter topic, which a
 * redrive reads. A record older than that is gone from every topic, so nothing the group reads
 * can repeat it; only a re-publish from outside (an archive) can, and then the effect repeats.
 *
 * @example
 * dedupeWindowSeconds([168, 336]); // 336 h + a day's segment + an hour = 361 h
 */
export function dedupeWindowSeconds(retentionHoursOfTopicsRead: readonly number[]): number {
  if (retentionHoursOfTopicsRead.length === 0) throw new ModelError("dedupeWindowSeconds needs the retention of at least one topic the group reads; pass the hours of each.");
  return Math.ceil(Math.max(...retentionHoursOfTopicsRead.map(longestLifeMs)) / 1000);
}
