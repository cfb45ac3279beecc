import { Logger } from "@aws-lambda-powertools/logger";
import { consume } from "../../platform/runtime";
import consumer from "./consumer";

/** Events counted per type and per source context, each event id once. */
export class EventCounts {
  private readonly seen = new Set<string>();
  private readonly byType = new Map<string, number>();

  /** Counts an event once; a redelivered event changes nothing. Returns whether it was new. */
  record(event: { readonly id: string; readonly type: string }): boolean {
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.byType.set(event.type, (this.byType.get(event.type) ?? 0) + 1);
    return true;
  }

  countOf(type: string): number {
    return this.byType.get(type) ?? 0;
  }

  /** Counts per context (the part of the type before the dot). */
  byContext(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const [type, count] of this.byType) {
      const context = type.slice(0, type.indexOf("."));
      totals[context] = (totals[context] ?? 0) + count;
    }
    return totals;
  }

  /** Counts per type, types sorted, for logs and tests. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.byType].sort(([a], [b]) => a.localeCompare(b)));
  }

  get total(): number {
    return this.seen.size;
  }
}

/** This container's counts; the example keeps them in memory. */
export const counts = new EventCounts();

const logger = new Logger({ serviceName: consumer.name });

/** Counting is cheap; one log line per batch (up to 500 records) rather than one per event. */
export const handler = consume(
  consumer,
  (event) => {
    counts.record(event);
  },
  { logger, onBatch: (stats) => logger.info("counts", { handled: stats.handled, total: counts.total, byType: counts.snapshot() }) },
);
