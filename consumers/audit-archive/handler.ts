import { setTimeout } from "node:timers/promises";
import { consume } from "../../platform/runtime";
import consumer from "./consumer";

/**
 * How long archiving one event takes. Deliberately slow: it stands for a synchronous write to
 * cold, compliance-grade storage, and with batches of 10 and a single poller it makes this group
 * lag behind the others under load — which the end-to-end test shows, while every other group
 * stays current. Lower it only if that demonstration is no longer wanted.
 */
export const ARCHIVE_DELAY_MS = 25;

export interface ArchiveEntry {
  readonly eventId: string;
  readonly type: string;
  readonly time: string | undefined;
  readonly correlationId: string | undefined;
  readonly data: unknown;
}

/** Every event, per entity (the event's subject, its Kafka key), in the order received. */
export class AuditArchive {
  private readonly logs = new Map<string, ArchiveEntry[]>();
  private readonly archived = new Set<string>();

  /** Appends an event to its entity's log once; a redelivered event changes nothing. Returns whether it was new. */
  append(entity: string, entry: ArchiveEntry): boolean {
    if (this.archived.has(entry.eventId)) return false;
    this.archived.add(entry.eventId);
    this.logs.set(entity, [...(this.logs.get(entity) ?? []), entry]);
    return true;
  }

  has(eventId: string): boolean {
    return this.archived.has(eventId);
  }

  /** An entity's log, oldest first. Kafka keeps one key's events in order, so this is their publishing order. */
  logOf(entity: string): readonly ArchiveEntry[] {
    return this.logs.get(entity) ?? [];
  }

  get entities(): string[] {
    return [...this.logs.keys()];
  }

  get size(): number {
    return this.archived.size;
  }
}

/** This container's archive; the example keeps it in memory. */
export const archive = new AuditArchive();

/** Events without a subject are archived under this (Ensemble's publishers always set one). */
export const NO_SUBJECT = "(no subject)";

/** The Lambda handler: archives each event once, taking ARCHIVE_DELAY_MS per new event. */
export const handler = consume(consumer, async (event) => {
  if (archive.has(event.id)) return;
  await setTimeout(ARCHIVE_DELAY_MS);
  archive.append(event.subject ?? NO_SUBJECT, {
    eventId: event.id,
    type: event.type,
    time: event.time,
    correlationId: event.correlationId,
    data: event.data,
  });
});
