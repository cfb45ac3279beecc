import type { Context as LambdaContext } from "aws-lambda";
import type { Kafka } from "kafkajs";
import { CONSUMER_DEFAULTS, type StartingPosition } from "../../model";
import type { KafkaBatchResponse, KafkaEvent } from "../../runtime/msk";
import { MappingSettingsError } from "../errors";
import { PartialBatchReading } from "./batch-response";
import type { Limiter } from "./limiter";
import type { MskEventOptions } from "../../runtime/msk-event";
import type { MappingObserver } from "./observer";

/** AWS applies at most 10 retries when retries are infinite and an on-failure destination is set. */
const MAX_RETRIES_WITH_DESTINATION = 10;

export interface EventSourceMappingOptions {
  readonly kafka: Kafka;
  /** The Ensemble consumer group: names the function and the on-failure records' origin. */
  readonly group: string;
  /** The Kafka consumer group id, `<stack>.<group>.<context>`. */
  readonly groupId: string;
  /** Lambda takes one topic per MSK mapping. */
  readonly topic: string;
  /** The function: the consumer wrapper's `consume()` handler, or any Kafka event handler. */
  readonly handler: (event: KafkaEvent, context?: LambdaContext) => Promise<KafkaBatchResponse | void>;
  /**
   * The function's timeout. When set, each invocation gets a Lambda-shaped context whose
   * `getRemainingTimeInMillis()` counts down to it, so an idempotency claim taken by an
   * invocation that crashed expires when its Lambda would have timed out, as on AWS (the
   * invocation itself is not cut short). @default none: invocations get no context
   */
  readonly functionTimeoutSeconds?: number;
  /** Records per invocation, at most. @default 100 */
  readonly batchSize?: number;
  /** How long the broker may gather records before answering a fetch, in seconds. @default 0 */
  readonly windowSeconds?: number;
  /** Filter patterns, ORed, as `filterPatterns()` writes them for AWS. @default none: every record */
  readonly filters?: readonly string[];
  /** Retries of a failing record (-1 = until it is too old; capped at 10 with an on-failure topic). @default 3 */
  readonly retries?: number;
  /** Records older than this go to the on-failure topic undelivered (-1 = no limit). @default -1 */
  readonly maxRecordAgeSeconds?: number;
  /** Split a batch in two when the function throws, to isolate the bad record. @default true */
  readonly bisectOnError?: boolean;
  /**
   * Which of AWS's two readings of a partial batch response to apply (see {@link PartialBatchReading}).
   * @default the `ENSEMBLE_PARTIAL_BATCH_READING` environment variable, else "failed-records-only"
   */
  readonly partialBatchReading?: PartialBatchReading;
  /** Where a group without committed offsets starts. @default "TRIM_HORIZON" */
  readonly startingPosition?: StartingPosition;
  /** Partitions processed at once (Lambda caps pollers at the partition count). @default 2 */
  readonly maxPollers?: number;
  /** Shared by a group's mappings: its reserved concurrency. @default no limit beyond maxPollers */
  readonly concurrency?: Limiter;
  /** The `kafka://` on-failure destination: the group's `<group>.dlq`. */
  readonly onFailureTopic: string;
  /** ARN and bootstrap servers written into events and on-failure records. */
  readonly eventSource?: MskEventOptions;
  /**
   * How long the group coordinator waits to hear from a poller before handing its partitions to
   * another: what a crashed process, or a member a restarted broker still remembers, costs the
   * group. Heartbeats go between fetches, so it must outlast the batching window and the longest
   * invocation, the function's timeout.
   * @default the batching window + the function timeout (30 s when not set) + 5 s
   */
  readonly sessionTimeoutMs?: number;
  readonly observer?: MappingObserver;
}

/** The options with their defaults applied, as the mapping runs them. */
export interface Settings {
  readonly partialBatchReading: PartialBatchReading;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly maxRetries: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectOnError: boolean;
  readonly startingPosition: StartingPosition;
  readonly maxPollers: number;
}

/** The options with Ensemble's consumer defaults, checked against the ranges Lambda accepts. */
export function settingsOf(options: EventSourceMappingOptions): Settings {
  const retries = options.retries ?? CONSUMER_DEFAULTS.retries;
  const reading = options.partialBatchReading ?? process.env.ENSEMBLE_PARTIAL_BATCH_READING ?? PartialBatchReading.FailedRecordsOnly;
  const settings: Settings = {
    partialBatchReading: reading as PartialBatchReading,
    batchSize: options.batchSize ?? CONSUMER_DEFAULTS.batch.size,
    windowSeconds: options.windowSeconds ?? CONSUMER_DEFAULTS.batch.windowSeconds,
    // -1 means "until the record expires", but with an on-failure destination (always, here) AWS caps it at 10.
    maxRetries: retries < 0 ? MAX_RETRIES_WITH_DESTINATION : retries,
    maxRecordAgeSeconds: options.maxRecordAgeSeconds ?? CONSUMER_DEFAULTS.maxRecordAgeSeconds,
    bisectOnError: options.bisectOnError ?? CONSUMER_DEFAULTS.bisectOnError,
    startingPosition: options.startingPosition ?? CONSUMER_DEFAULTS.startingPosition,
    maxPollers: options.maxPollers ?? CONSUMER_DEFAULTS.scaling.maxPollers,
  };
  const problems = [
    !(Number.isInteger(settings.batchSize) && settings.batchSize >= 1) && `batchSize must be a whole number of at least 1 (got ${settings.batchSize})`,
    !(settings.windowSeconds >= 0 && settings.windowSeconds <= 300) && `windowSeconds must be within 0–300 (got ${settings.windowSeconds})`,
    !(Number.isInteger(settings.maxPollers) && settings.maxPollers >= 1) && `maxPollers must be a whole number of at least 1 (got ${settings.maxPollers})`,
    // Lambda refuses a destination that is one of the source topics (no recursion).
    options.onFailureTopic === options.topic && `the on-failure topic cannot be the source topic ${options.topic} (use the group's own dead-letter topic)`,
    !(Object.values(PartialBatchReading) as string[]).includes(reading) &&
      `partialBatchReading (or ENSEMBLE_PARTIAL_BATCH_READING) must be one of ${Object.values(PartialBatchReading).join(", ")} (got "${reading}")`,
  ].filter((problem): problem is string => typeof problem === "string");
  if (problems.length > 0) throw new MappingSettingsError(`Event source mapping ${options.groupId}: ${problems.join("; ")}.`);
  return settings;
}
