/*
 * The audit-archive group's function as the consumer-kill failure test runs it, in the consumer's
 * process or in a container process of its own: the real handler (the real consume() wrapper, the
 * DynamoDB idempotency store the environment names) with its archive instrumented. Each run of the
 * handler and each archive entry (its effect) is appended to the effects file as one line, before
 * it happens, so both survive a SIGKILL and are counted per call, never deduplicated:
 *
 *   {"kind":"run","eventId":...,"partition":0,"offset":3,"pid":...,"at":...}     the handler started for a record
 *   {"kind":"effect","eventId":...,"partition":0,"offset":3,"pid":...,"at":...}  it archived the event
 *
 * A freeze point stops the process dead (Atomics.wait: no event loop, no heartbeat) inside the
 * handler of one record, with its idempotency claim taken, and says so on stdout:
 *
 *   {"kind":"in-flight","eventId":...,"partition":0,"offset":14,"batch":{...},"effectsInBatch":4,"pid":...,"deadline":...}
 *
 * `deadline` is the invocation's Lambda deadline: what the record's claim lasts until.
 */
import * as fs from "node:fs";
import type { Context as LambdaContext } from "aws-lambda";
import { archive, handler } from "../../../consumers/audit-archive/handler";
import type { KafkaBatchResponse, KafkaEvent } from "../../../platform/runtime/msk";

/** Where the function freezes: in its `fromBatch`-th invocation or a later one, the first with records left after its (afterEffects+1)-th. */
export interface FreezePoint {
  readonly fromBatch: number;
  readonly afterEffects: number;
  /** Before that record's effect (the claim taken, nothing archived), or after it (archived, the claim not yet completed). */
  readonly when: "before-effect" | "after-effect";
}

/** FREEZE_FROM_BATCH, FREEZE_AFTER_EFFECTS and FREEZE_WHEN (`before-effect` | `after-effect`), when set. */
export function freezePointFromEnv(env: NodeJS.ProcessEnv): FreezePoint | undefined {
  const fromBatch = Number(env.FREEZE_FROM_BATCH ?? 0);
  if (fromBatch <= 0) return undefined;
  const when = env.FREEZE_WHEN ?? "before-effect";
  if (when !== "before-effect" && when !== "after-effect") throw new Error(`FREEZE_WHEN must be before-effect or after-effect, not ${when}`);
  return { fromBatch, afterEffects: Number(env.FREEZE_AFTER_EFFECTS ?? 0), when };
}

/** A JSON line on stdout; one write, so lines of processes sharing the pipe never interleave. */
export const say = (line: Record<string, unknown>) => fs.writeSync(1, `${JSON.stringify(line)}\n`);

/**
 * The instrumented handler. One per process: it patches the process's audit archive.
 *
 * @example
 * const fn = auditArchiveFunction("/tmp/effects.jsonl", freezePointFromEnv(process.env));
 * await fn(event, lambdaContext);
 */
export function auditArchiveFunction(effectsFile: string, freeze: FreezePoint | undefined) {
  /** Where each delivered event id sits, from the invocation's own records. */
  const coordinates = new Map<string, { partition: number; offset: number }>();
  let batches = 0;
  let current: { partition: number; offsets: number[] } | undefined;
  let deadline: number | undefined;
  let effectsInBatch = 0;

  const line = (kind: string, eventId: string) =>
    fs.appendFileSync(effectsFile, `${JSON.stringify({ kind, eventId, ...coordinates.get(eventId), pid: process.pid, at: Date.now() })}\n`);
  const freezeHere = (eventId: string, when: FreezePoint["when"]) => {
    const recordsLeft = (current?.offsets.length ?? 0) - effectsInBatch - 1;
    if (!freeze || freeze.when !== when || batches < freeze.fromBatch || effectsInBatch !== freeze.afterEffects || recordsLeft <= 0) return;
    say({ kind: "in-flight", eventId, ...coordinates.get(eventId), batch: current, effectsInBatch, pid: process.pid, deadline });
    // Frozen: the test kills this process now. Should it not, give up.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    process.exit(70);
  };

  // The handler's first act per run is archive.has(id): one run line each, before its own check could hide a second run.
  const has = archive.has.bind(archive);
  archive.has = (eventId) => {
    line("run", eventId);
    return has(eventId);
  };
  const append = archive.append.bind(archive);
  archive.append = (entity, entry) => {
    freezeHere(entry.eventId, "before-effect");
    line("effect", entry.eventId);
    const added = append(entity, entry);
    freezeHere(entry.eventId, "after-effect");
    effectsInBatch++;
    return added;
  };

  return async (event: KafkaEvent, context?: LambdaContext): Promise<KafkaBatchResponse> => {
    const records = Object.values(event.records).flat();
    batches++;
    effectsInBatch = 0;
    current = { partition: records[0]!.partition, offsets: records.map((r) => r.offset) };
    deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
    for (const record of records) {
      const id = eventIdOf(record.value);
      if (id) coordinates.set(id, { partition: record.partition, offset: record.offset });
    }
    return handler(event, context);
  };
}

/** The CloudEvent id in a structured-mode record value (base64 JSON), if it is one. */
function eventIdOf(value: string | null | undefined): string | undefined {
  try {
    const id: unknown = JSON.parse(Buffer.from(value ?? "", "base64").toString("utf8")).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
