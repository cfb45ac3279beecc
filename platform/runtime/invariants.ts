import { Logger } from "@aws-lambda-powertools/logger";
import type { Context as LambdaContext } from "aws-lambda";
import { CloudEvent } from "cloudevents";
import type { Kafka } from "kafkajs";
import { v5 as uuidv5 } from "uuid";
import { FunctionEnvironment } from "../model/function-environment";
import { dueAt, evaluate, type InvariantDefinition, invariantKeepSeconds, type SeenEvent, VIOLATION_EVENT_TYPE, VIOLATION_LOG_MESSAGE, type Violation, ViolationKind } from "../model/invariant";
import { invariantsGroupOf } from "../model/invariants-group";
import { names } from "../model/names";
import { valueAt } from "../model/wait-for";
import { type ConsumeOptions, consume } from "./consumer";
import { CLOUDEVENTS_CONTENT_TYPE } from "./envelope";
import { RuntimeConfigError } from "./errors";
import { InMemoryInvariantStore, type InvariantStore, invariantStoreFromEnv, type KeyState } from "./invariant-store";
import { createIdempotentProducer, createKafka, kafkaSettingsFromEnv, SharedProducer } from "./kafka";
import { isKafkaEvent, type KafkaBatchResponse } from "./msk";

export { VIOLATION_LOG_MESSAGE };

/** Where violations go besides the log: the violations topic on AWS and locally; tests add their own. */
export interface ViolationReporter {
  report(violation: Violation): Promise<void>;
}

export interface InvariantsOptions extends ConsumeOptions {
  /** @default `invariantStoreFromEnv()` */
  readonly store?: InvariantStore;
  /** @default the violations topic (`KafkaViolationReporter`) */
  readonly reporter?: ViolationReporter;
  /** How long a key's events are kept after its last one, seconds. @default `ENSEMBLE_INVARIANT_KEEP_SECONDS` (see `invariantKeepSeconds`), else the longest bound plus a week */
  readonly keepSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The handler of the invariants group, for both ways it is invoked, and the local runtime's end-of-flow check. */
export interface InvariantsHandler {
  (event: unknown, context?: LambdaContext): Promise<KafkaBatchResponse | { checked: number; violations: number }>;
  /** Checks every key as if its flow were over (the local demo's end): a missing event is a violation now. Answers every violation found since the start. */
  settle(): Promise<Violation[]>;
  /** Every violation this handler reported. */
  readonly violations: readonly Violation[];
  close(): Promise<void>;
}

/** The id of a violation: one per invariant, key and kind, so a re-report is a duplicate. */
const VIOLATION_ID_NAMESPACE = "0b6f7f55-5b4a-4d7e-a0f4-8a3c1f6e9d21";
export const violationId = (v: Pick<Violation, "invariant" | "key" | "kind">) => uuidv5(`${v.invariant}\u0000${v.key}\u0000${v.kind}`, VIOLATION_ID_NAMESPACE);

/**
 * The handler of the platform's `invariants` group. Invoked two ways:
 * - by its event source mappings: each event is kept for its key (per invariant that reads it),
 *   and the key's invariants are evaluated at once (`never`, and `exactlyOne`'s "more than one");
 * - by a schedule (EventBridge, every minute): keys whose bound has passed without the expected
 *   event are evaluated (`exactlyOne`'s "missing").
 * Each violation is reported once per invariant, key and kind (log line, violations topic); the
 * same events in any order, redelivered or replayed, report nothing new.
 */
export function invariantsHandler(invariants: readonly InvariantDefinition[], options: InvariantsOptions = {}): InvariantsHandler {
  const group = invariantsGroupOf(invariants);
  if (!group) throw new RuntimeConfigError("The topology declares no invariant, so it has no invariants group; remove its function.");
  const now = options.now ?? Date.now;
  // Infra sets it from the group's deduplication window; without it (tests), a week's.
  const keepSeconds = options.keepSeconds ?? (Number(process.env[FunctionEnvironment.InvariantKeepSeconds] ?? 0) || invariantKeepSeconds(invariants, 7 * 86_400));
  let fromEnv: InvariantStore | undefined;
  const store = () => options.store ?? (fromEnv ??= invariantStoreFromEnv());
  let kafkaReporter: KafkaViolationReporter | undefined;
  const reporter = () => options.reporter ?? (kafkaReporter ??= new KafkaViolationReporter(options.kafka));
  const byName = new Map(invariants.map((i) => [i.name, i]));
  const found: Violation[] = [];
  const logger = options.logger ?? new Logger({ serviceName: group.name });

  /**
   * Reports what `state` violates and has not reported yet, then records when it is next due.
   * `missing` is decided only by the sweep (`at` the sweep's time) or at the local end (`settled`):
   * on arrival an opening event can come before a follower that another topic's mapping has not
   * delivered yet.
   */
  async function check(state: KeyState, at: "arrival" | "sweep" | "settled"): Promise<number> {
    const invariant = byName.get(state.invariant);
    if (!invariant) return 0; // an invariant since removed: its keys expire
    let reported = 0;
    const time = at === "arrival" ? Number.NEGATIVE_INFINITY : now();
    for (const violation of evaluate(invariant, state.key, state.seen, time, at === "settled")) {
      if (state.reported.includes(violation.kind)) continue;
      // A follower that came after the bound was already reported missing: one problem, one report.
      if (violation.kind === ViolationKind.Late && state.reported.includes(ViolationKind.Missing)) continue;
      // Claimed first, so concurrent invocations report it once; given back if reporting fails.
      if (!(await store().markReported(invariant.name, state.key, violation.kind))) continue;
      try {
        logger.warn(VIOLATION_LOG_MESSAGE, { invariant: violation.invariant, key: violation.key, kind: violation.kind, detail: violation.message, events: violation.events.map((e) => `${e.type} ${e.time} ${e.id}`), violationId: violationId(violation) });
        await reporter().report(violation);
      } catch (error) {
        await store().unmarkReported(invariant.name, state.key, violation.kind);
        throw error;
      }
      found.push(violation);
      reported++;
    }
    // Due while a bound is pending; once the sweep has passed it, the check has said all a sweep could.
    const next = dueAt(invariant, state.seen);
    if (at === "arrival") await store().setDue(invariant.name, state.key, next);
    else if (at === "sweep") await store().setDue(invariant.name, state.key, next !== undefined && next > now() ? next : undefined);
    return reported;
  }

  const onEvents = consume(
    group,
    async (event) => {
      const { id, type, data, time } = event as { id: string; type: string; data: unknown; time: string | undefined };
      const seen: SeenEvent = { id, type, time: time ?? new Date(now()).toISOString() };
      for (const invariant of invariants) {
        if (!invariant.reads.some((e) => e.type === type)) continue;
        const key = valueAt(data, invariant.key);
        if (key === undefined || key === null) continue; // validate() requires the key on every event read
        const state = await store().add(invariant.name, String(key), seen, keepSeconds);
        await check(state, "arrival");
      }
    },
    { ...options, logger },
  );

  async function sweep(): Promise<{ checked: number; violations: number }> {
    const due = await store().due(now());
    let violations = 0;
    for (const { invariant, key } of due) {
      const state = await store().get(invariant, key);
      if (state) violations += await check(state, "sweep");
    }
    return { checked: due.length, violations };
  }

  const handler = (async (event: unknown, lambdaContext?: LambdaContext) => (isKafkaEvent(event) ? onEvents(event, lambdaContext) : sweep())) as InvariantsHandler;
  handler.settle = async () => {
    const local = options.store ?? fromEnv;
    if (!(local instanceof InMemoryInvariantStore)) throw new RuntimeConfigError("settle() checks a store in memory (the local runtime's); on AWS the scheduled sweep checks what is due.");
    for (const state of local.all()) await check(state, "settled");
    return [...found];
  };
  Object.defineProperty(handler, "violations", { get: () => [...found] });
  handler.close = async () => {
    await onEvents.close();
    await kafkaReporter?.close();
  };
  return handler;
}

/**
 * Reports violations to the violations topic as CloudEvents (`ensemble.InvariantViolated`,
 * subject the key, id one per invariant, key and kind), keyed by the business key.
 */
export class KafkaViolationReporter implements ViolationReporter {
  private readonly producer: SharedProducer;
  private readonly topic: string;

  constructor(kafka?: Kafka) {
    let client = kafka;
    this.producer = new SharedProducer(() => createIdempotentProducer((client ??= createKafka(kafkaSettingsFromEnv("invariants")))));
    this.topic = process.env[FunctionEnvironment.ViolationTopic] ?? names.violationTopic();
  }

  async report(violation: Violation): Promise<void> {
    const event = new CloudEvent({
      id: violationId(violation),
      type: VIOLATION_EVENT_TYPE,
      source: "invariants",
      subject: violation.key,
      datacontenttype: "application/json",
      data: violation,
    });
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: violation.key, value: JSON.stringify(event.toJSON()), headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE } }],
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
