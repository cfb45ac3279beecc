import type { KafkaMessage } from "kafkajs";
import type { KafkaBatchResponse } from "../runtime/msk";
import type { DeliveredRecord } from "./event-source-mapping";
import { isObject } from "./filters";

/*
 * The records of one fetched partition batch as the local event source mapping works through
 * them: which are settled, which batch goes next, how far the group may commit, and how a
 * function's answer reads.
 */

/** One fetched record and what the mapping knows about it. */
export interface Item {
  readonly message: KafkaMessage;
  readonly offset: number;
  readonly record: DeliveredRecord;
  /** Passed the filters. */
  readonly wanted: boolean;
  /** Handled, filtered out or sent to the on-failure topic: its offset may be committed. */
  settled: boolean;
  /** Invocations it was part of. */
  invocations: number;
  /** Failed invocations it was the first failed record of; each one within the limit earns a retry. */
  failures: number;
  /** What it adds to an invocation's payload (base64 key and value, and the record's fields). */
  readonly payloadBytes: number;
}

export interface Batch {
  readonly items: Item[];
  readonly bisected: boolean;
}

export type Outcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "partial"; readonly failed: readonly Item[] }
  | { readonly kind: "failed"; readonly cause: "function-error" | "invalid-response"; readonly error: Error };

/**
 * The records of one fetched partition batch: which are settled, what goes next, and how far
 * the group may commit. Batches put back (bisected halves, the rest of a half) go first;
 * otherwise the next batch is the first `batchSize` unsettled records, in offset order.
 */
export class PartitionWork {
  private readonly queued: Batch[] = [];
  /** The group is at the fetch's first offset already. */
  private committed: number;

  constructor(private readonly items: readonly Item[]) {
    this.committed = items[0]?.offset ?? -1;
  }

  /** Queued batches hold records of `items` only, so these say whether anything is left. */
  hasWork(): boolean {
    return this.items.some((item) => !item.settled);
  }

  /** At most `size` records and, beyond the first, at most `maxBytes` of payload (Lambda's 6 MB). */
  next(size: number, maxBytes: number): Batch | undefined {
    while (this.queued.length > 0) {
      const batch = this.queued.shift()!;
      const items = batch.items.filter((item) => !item.settled);
      if (items.length > 0) return { items, bisected: batch.bisected };
    }
    const items: Item[] = [];
    let bytes = 0;
    for (const item of this.items) {
      if (item.settled) continue;
      if (items.length === size || (items.length > 0 && bytes + item.payloadBytes > maxBytes)) break;
      items.push(item);
      bytes += item.payloadBytes;
    }
    return items.length > 0 ? { items, bisected: false } : undefined;
  }

  /** Queues a batch to go next (its settled records are skipped when it is taken). */
  putBack(batch: Batch): void {
    this.queued.unshift(batch);
  }

  settle(items: readonly Item[]): void {
    for (const item of items) item.settled = true;
  }

  /** The offset to commit (the first unsettled record's, or past the last), if it moved. */
  commitOffset(): number | undefined {
    const firstOpen = this.items.find((item) => !item.settled);
    const last = this.items[this.items.length - 1];
    const next = firstOpen ? firstOpen.offset : last ? last.offset + 1 : -1;
    if (next <= this.committed) return undefined;
    this.committed = next;
    return next;
  }
}

/**
 * Reads a function's answer. Nothing, `null` or no failures = the batch succeeded; failures must
 * name this batch's `<topic>-<partition>` and one of its offsets, or the whole batch failed.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response
 */
export function readResponse(response: unknown, items: readonly Item[]): Outcome {
  if (response === undefined || response === null) return { kind: "succeeded" };
  const failures = (response as Partial<KafkaBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return { kind: "succeeded" };
  const invalid = (why: string): Outcome => ({ kind: "failed", cause: "invalid-response", error: new Error(`Invalid batchItemFailures: ${why}; the whole batch is retried.`) });
  if (!Array.isArray(failures)) return invalid("not an array");
  const failed: Item[] = [];
  for (const failure of failures as unknown[]) {
    const id = isObject(failure) && isObject(failure.itemIdentifier) ? failure.itemIdentifier : undefined;
    const item = items.find((i) => id && id.partition === `${i.record.topic}-${i.record.partition}` && id.offset === i.offset);
    if (!item) return invalid(`${JSON.stringify(failure)} names no record of this batch`);
    failed.push(item);
  }
  return { kind: "partial", failed };
}
