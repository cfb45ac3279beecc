import type { Kafka } from "kafkajs";
import { type ConsumerDefinition, type ContextEvent, names } from "../model";
import { decodeEvent } from "../runtime/envelope";
import { type KafkaEvent, type KafkaRecord, recordHeaders, recordValue } from "../runtime/msk";
import { type DeadLetter, DeadLetterFormat, eventOf, readDeadLetter } from "./dead-letters";
import { RedriveError } from "./errors";
import type { GroupFunction } from "./group-function";

/** The Kafka consumer group a redrive of `group` reads its dead-letter topic with, so its progress survives restarts. */
export const redriveGroupId = (stack: string, group: string) => `${stack}.${group}.redrive`;

export const RedriveOutcome = {
  /** The group's function handled it; its effect happened now. */
  Moved: "moved",
  /** Dry run: it would be handed back (its event id is not yet handled). */
  WouldMove: "would-move",
  /** Its event id was already handled by the group: handed back and skipped by idempotency (or, in a dry run, would be). */
  Duplicate: "duplicate",
  /** It cannot be handled (still poison) or the function failed on it again. */
  Failing: "failing",
} as const;
export type RedriveOutcome = (typeof RedriveOutcome)[keyof typeof RedriveOutcome];

/** One original record of a dead-letter record, and what the redrive did with it. */
export interface RedriveItem {
  /** Where the dead-letter record sits in `<group>.dlq`. */
  readonly dlq: { readonly partition: number; readonly offset: number };
  readonly format: DeadLetterFormat;
  /** Why it was dead-lettered (`ensemble-dlq-reason`, or the on-failure condition). */
  readonly reason: string;
  readonly detail: string | undefined;
  /** Where the original record was read from; undefined when the dead-letter record names none. */
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: number } | undefined;
  readonly eventId: string | undefined;
  readonly type: string | undefined;
  readonly outcome: RedriveOutcome;
  /** Why it still fails (outcome `failing`). */
  readonly failure?: string;
}

export interface RedriveReport {
  readonly group: string;
  readonly topic: string;
  readonly groupId: string;
  readonly dryRun: boolean;
  /** What invoked the group, for the report. */
  readonly target: string;
  /** The dead-letter topic does not exist (the group never dead-lettered anything on this broker). */
  readonly missingTopic: boolean;
  readonly items: RedriveItem[];
  /** Records moved (in a dry run: that would move). */
  moved: number;
  duplicates: number;
  failing: number;
  /**
   * Per dead-letter partition with a record that still fails: its offset, where the redrive's
   * committed position stays, so the next redrive reads it again (and what follows it, which
   * idempotency then skips as duplicates).
   */
  readonly heldAt: { partition: number; offset: number }[];
  /** Dead-letter records left unread, because of the limit. */
  remaining: number;
}

export interface RedriveOptions {
  readonly kafka: Kafka;
  readonly consumer: ConsumerDefinition;
  /** Names the redrive's consumer group id, `<stack>.<group>.redrive`. */
  readonly stack: string;
  /** Invokes the group's function with the rebuilt MSK event. */
  readonly fn: GroupFunction;
  /** Whether the group has already handled an event id: its idempotency store (`hasHandled`). */
  readonly handled: (eventId: string) => Promise<boolean>;
  /** List what would move; invoke nothing, commit nothing. @default false */
  readonly dryRun?: boolean;
  /** Dead-letter records to read at most. @default all of them */
  readonly limit?: number;
  /** Gives up when the records already in the topic have not all been read after this long. @default 60000 */
  readonly timeoutMs?: number;
}

/** The dead-letter records could not all be read in time (e.g. another redrive of the group holds its partitions). */
export class RedriveTimeoutError extends RedriveError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedriveTimeoutError";
  }
}

/**
 * Hands a consumer group's dead-letter records back to the group, after a fix. Reads
 * `<group>.dlq` up to the end it has when the redrive starts (records dead-lettered again during
 * the run wait for the next one) as consumer group `<stack>.<group>.redrive`, in offset order per
 * partition. Each record, in either format (see `readDeadLetter`), is rebuilt into the MSK event
 * its group's function received, checked as the consumer wrapper checks it, and — unless it is
 * still poison — invoked:
 *
 * - the function succeeds: `moved`, or `duplicate` when its event id was already handled (the
 *   wrapper skipped it: idempotency is what makes a redrive never repeat an effect);
 * - still poison (the same check the wrapper makes, e.g. `schema-invalid`): not invoked, since
 *   the wrapper would only dead-letter it again, and reported `failing` with the reason;
 * - the function fails on it again: reported `failing`.
 *
 * Offsets are committed after each record, but never past a `failing` one: the group's position
 * in that partition stays on it, so the next redrive retries it (and re-reads what follows,
 * which it reports as duplicates). Nothing is re-dead-lettered. A dry run invokes and commits
 * nothing; it says what would move, what is already handled and what is still poison.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { kafka, consumer: group, fn } = options;
  const dryRun = options.dryRun ?? false;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const topic = names.deadLetterTopic(group.name);
  const groupId = redriveGroupId(options.stack, group.name);
  const subscribed: ReadonlyMap<string, ContextEvent> = new Map(group.on.map((event) => [event.type, event]));
  const held = new Map<number, number>();
  const report: RedriveReport = {
    group: group.name,
    topic,
    groupId,
    dryRun,
    target: fn.description,
    missingTopic: false,
    items: [],
    moved: 0,
    duplicates: 0,
    failing: 0,
    heldAt: [],
    remaining: 0,
  };

  // Where each partition's redrive starts (its committed offset) and ends (its end now).
  const plan = new Map<number, { next: number; end: number }>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return { ...report, missingTopic: true };
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    for (const end of ends) {
      const done = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      const next = done >= 0 ? Math.max(done, Number(end.low)) : Number(end.low);
      if (next < Number(end.high)) plan.set(end.partition, { next, end: Number(end.high) });
    }
  } finally {
    await admin.disconnect();
  }
  if (plan.size === 0 || limit <= 0) return finish();

  async function processRecord(deadLetter: DeadLetter, event: KafkaEvent, record: KafkaRecord): Promise<RedriveItem> {
    const { id, type } = eventOf(record);
    const base = {
      dlq: { partition: deadLetter.partition, offset: deadLetter.offset },
      format: deadLetter.format,
      reason: deadLetter.reason,
      detail: deadLetter.detail,
      source: { topic: record.topic, partition: record.partition, offset: record.offset },
      eventId: id,
      type,
    };
    const decoded = decodeEvent(recordValue(record), recordHeaders(record), subscribed);
    if (decoded.verdict !== "event") return { ...base, outcome: RedriveOutcome.Failing, failure: `${decoded.reason}: ${decoded.detail}` };
    const handledBefore = await options.handled(decoded.event.id);
    if (dryRun) return { ...base, outcome: handledBefore ? RedriveOutcome.Duplicate : RedriveOutcome.WouldMove };

    const single: KafkaEvent = { ...event, records: { [`${record.topic}-${record.partition}`]: [record] } };
    let response;
    try {
      response = await fn.invoke(single);
    } catch (error) {
      return { ...base, outcome: RedriveOutcome.Failing, failure: `the invocation failed: ${(error as Error).message}` };
    }
    if (response && Array.isArray(response.batchItemFailures) && response.batchItemFailures.length > 0) {
      return { ...base, outcome: RedriveOutcome.Failing, failure: "the handler failed on it again (reported in batchItemFailures)" };
    }
    return { ...base, outcome: handledBefore ? RedriveOutcome.Duplicate : RedriveOutcome.Moved };
  }

  async function redriveDeadLetter(deadLetter: DeadLetter): Promise<RedriveItem[]> {
    if (deadLetter.format === DeadLetterFormat.Unknown) {
      const dlq = { partition: deadLetter.partition, offset: deadLetter.offset };
      const failure = `${deadLetter.reason}: ${deadLetter.detail ?? ""}`;
      return [{ dlq, format: deadLetter.format, reason: deadLetter.reason, detail: deadLetter.detail, source: undefined, eventId: undefined, type: undefined, outcome: RedriveOutcome.Failing, failure }];
    }
    const items: RedriveItem[] = [];
    for (const event of deadLetter.events) {
      for (const record of Object.values(event.records).flat()) items.push(await processRecord(deadLetter, event, record));
    }
    return items;
  }

  const reader = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  let read = 0;
  const allRead = () => read >= limit || [...plan.values()].every((p) => p.next >= p.end);
  let done!: () => void;
  let crashed!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (crashed = reject)));
  reader.on(reader.events.CRASH, ({ payload }) => {
    if (!payload.restart) crashed(payload.error);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await reader.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const position = plan.get(partition);
        const offset = Number(message.offset);
        if (!position || offset < position.next || offset >= position.end || read >= limit) return;
        read++;
        const items = await redriveDeadLetter(readDeadLetter(partition, message));
        report.items.push(...items);
        position.next = offset + 1;
        if (!dryRun) {
          if (items.some((item) => item.outcome === RedriveOutcome.Failing) && !held.has(partition)) held.set(partition, offset);
          if (!held.has(partition)) await reader.commitOffsets([{ topic, partition, offset: String(offset + 1) }]);
        }
        if (allRead()) done();
      },
    });
    const timeoutMs = options.timeoutMs ?? 60_000;
    await Promise.race([
      finished,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const left = [...plan].filter(([, p]) => p.next < p.end).map(([partition, p]) => `partition ${partition} at ${p.next} of ${p.end}`);
          reject(new RedriveTimeoutError(`Read ${read} record(s) of ${topic} in ${timeoutMs} ms; still to read: ${left.join(", ")}. Is another redrive of ${group.name} running (consumer group ${groupId})?`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await reader.disconnect();
  }
  return finish();

  function finish(): RedriveReport {
    for (const item of report.items) {
      if (item.outcome === RedriveOutcome.Moved || item.outcome === RedriveOutcome.WouldMove) report.moved++;
      else if (item.outcome === RedriveOutcome.Duplicate) report.duplicates++;
      else report.failing++;
    }
    report.heldAt.push(...[...held].map(([partition, offset]) => ({ partition, offset })).sort((a, b) => a.partition - b.partition));
    report.remaining = [...plan.values()].reduce((sum, p) => sum + Math.max(0, p.end - p.next), 0);
    return report;
  }
}
