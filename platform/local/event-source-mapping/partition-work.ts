import type { KafkaMessage } from "kafkajs";
import type { DeliveredRecord } from "./observer";

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
