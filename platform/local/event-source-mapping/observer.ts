import type { KafkaMessage } from "kafkajs";
import type { OnFailureReason } from "../../model";
import { NOT_JSON } from "./filter";

/** Where a mapping is in one record's life, for the live view and the tests. */
export interface DeliveredRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record key as UTF-8, when it has one. */
  readonly key?: string;
  /** CloudEvent `id` and `type`, when the value is a JSON object carrying them. */
  readonly id?: string;
  readonly type?: string;
}

export interface InvocationReport {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly DeliveredRecord[];
  /** How many times the batch's first record was retried before this invocation (0 = first try). */
  readonly retry: number;
  /** The batch is a half (or less) of a batch that failed with bisect on. */
  readonly bisected: boolean;
  /** `partial`: the function reported batch item failures; `failed`: it threw or answered nonsense. */
  readonly outcome: "succeeded" | "partial" | "failed";
  /** Offsets reported in `batchItemFailures` (partial outcome). */
  readonly failedOffsets: readonly number[];
  readonly error?: Error;
  readonly durationMs: number;
}

export type FailureCause = "batch-item-failure" | "function-error" | "invalid-response";

export interface RetryReport {
  readonly topic: string;
  readonly partition: number;
  /** The record retried: each reported record (failed-records-only), or the one the partition resumes from (checkpoint-at-lowest). */
  readonly offset: number;
  /** This retry's number, from 1. */
  readonly retry: number;
  /** The retry limit in force (-1 is applied as 10: there is always an on-failure topic). */
  readonly maxRetries: number;
  readonly cause: FailureCause;
}

export interface BisectReport {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: readonly number[];
  readonly halves: readonly [number, number];
}

/** Callbacks for what the mapping does; each is optional and must not throw. */
export interface MappingObserver {
  /** Records handed to the function, just before it runs. */
  onDelivered?(records: readonly DeliveredRecord[]): void;
  /** What an invocation came to. */
  onInvoked?(report: InvocationReport): void;
  /** Records the filters dropped: never delivered, committed with the rest. */
  onFiltered?(records: readonly DeliveredRecord[]): void;
  /** Records an invocation failed: those reported in `batchItemFailures`, or the whole batch. */
  onFailed?(records: readonly DeliveredRecord[], cause: FailureCause): void;
  onRetry?(retry: RetryReport): void;
  onBisect?(bisect: BisectReport): void;
  /** Records written to the on-failure topic (retries exhausted, or too old to deliver). */
  onFailureDestination?(records: readonly DeliveredRecord[], reason: OnFailureReason): void;
  /** The group's committed offset of a partition moved to `offset` (the next record to read). */
  onCommit?(commit: { readonly topic: string; readonly partition: number; readonly offset: number }): void;
  /** The consumer crashed (kafkajs restarts it from the committed offsets). */
  onError?(error: Error): void;
}

/** Calls one observer callback by name. */
export type Notify = <K extends keyof MappingObserver>(name: K, ...args: Parameters<NonNullable<MappingObserver[K]>>) => void;

/** Calls `observer`'s callbacks, turning a callback that throws into a warning. */
export function notifierFor(observer: MappingObserver | undefined): Notify {
  return (name, ...args) => {
    const callback = observer?.[name] as ((...a: typeof args) => void) | undefined;
    try {
      callback?.(...args);
    } catch (error) {
      // An observer is a view: it must never change what the mapping does.
      process.emitWarning(`event source mapping observer ${name} threw: ${(error as Error).message}`);
    }
  };
}

/**
 * A fetched message as the observer sees it: where it is, its key, and its CloudEvent id and
 * type. `valueJson` is the value already parsed (the filter's reading), so it is parsed once;
 * without it (or when it was not strict UTF-8) the value is read here.
 */
export function describeRecord(topic: string, partition: number, message: KafkaMessage, valueJson: unknown = NOT_JSON): DeliveredRecord {
  const offset = Number(message.offset);
  const key = message.key && message.key.length > 0 ? message.key.toString("utf8") : undefined;
  // Binary mode carries them in headers, structured mode in the value.
  let id: unknown = message.headers?.ce_id?.toString();
  let type: unknown = message.headers?.ce_type?.toString();
  if (id === undefined) {
    try {
      ({ id, type } = (valueJson === NOT_JSON ? JSON.parse(message.value?.toString("utf8") ?? "null") : valueJson) ?? {});
    } catch {
      // Not JSON: no id or type to show.
    }
  }
  return {
    topic,
    partition,
    offset,
    ...(key === undefined ? {} : { key }),
    ...(typeof id === "string" ? { id } : {}),
    ...(typeof type === "string" ? { type } : {}),
  };
}
