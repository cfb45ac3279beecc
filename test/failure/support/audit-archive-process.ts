/*
 * One consumer group in a process of its own, as a Lambda container would run it: the real
 * audit-archive handler behind an emulated event source mapping of its orders subscription,
 * with the DynamoDB idempotency store the environment names. Run with tsx by the consumer-kill
 * failure test, which reads what it does from stdout, one JSON object a line:
 *
 *   {"kind":"ready"}                                   the mapping joined its group
 *   {"kind":"delivered","partition":0,"records":[{"offset":0,"id":"..."}, ...]}   a batch handed to the handler
 *   {"kind":"committed","partition":0,"offset":10}     the group's committed offset moved
 *   {"kind":"in-flight", ...}                          frozen mid-batch (FREEZE_* below); kill it now
 *
 * Every archive entry (the handler's effect) is also appended to EFFECTS_FILE before it is made,
 * so effects survive a SIGKILL and can be counted per event id.
 *
 * Environment: KAFKA_BROKERS, ENSEMBLE_IDEMPOTENCY_TABLE, ENSEMBLE_DYNAMODB_ENDPOINT, STACK,
 * EFFECTS_FILE, SESSION_TIMEOUT_MS, FUNCTION_TIMEOUT_SECONDS; FREEZE_FROM_BATCH (n) and
 * FREEZE_AFTER_EFFECTS (k) freeze the process in its n-th invocation or a later one, the first
 * with records left after its (k+1)-th, inside the handler of that record: after k effects of the
 * batch and before its own, with the record's idempotency claim taken.
 */
import * as fs from "node:fs";
import consumer from "../../../consumers/audit-archive/consumer";
import { archive, handler } from "../../../consumers/audit-archive/handler";
import { filterPatterns, subscriptionsOf } from "../../../platform/infra/consumer-group";
import { LocalEventSourceMapping } from "../../../platform/local/event-source-mapping";
import { names } from "../../../platform/model";
import { createKafka, kafkaSettingsFromEnv } from "../../../platform/runtime/kafka";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const say = (line: Record<string, unknown>) => fs.writeSync(1, `${JSON.stringify(line)}\n`);

const effectsFile = env("EFFECTS_FILE");
const freezeFromBatch = Number(process.env.FREEZE_FROM_BATCH ?? 0);
const freezeAfterEffects = Number(process.env.FREEZE_AFTER_EFFECTS ?? 0);
/** Where each delivered event id sits, for the effects file. */
const coordinates = new Map<string, { partition: number; offset: number }>();
let batches = 0;
let current: { partition: number; offsets: number[] } | undefined;
let effectsInBatch = 0;

const append = archive.append.bind(archive);
archive.append = (entity, entry) => {
  const where = coordinates.get(entry.eventId);
  const recordsLeft = (current?.offsets.length ?? 0) - effectsInBatch - 1;
  if (freezeFromBatch > 0 && batches >= freezeFromBatch && effectsInBatch === freezeAfterEffects && recordsLeft > 0) {
    say({ kind: "in-flight", eventId: entry.eventId, ...where, batch: current, effectsInBatch });
    // Frozen with the claim taken and the effect not made; the test kills it. Should it not, give up.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    process.exit(70);
  }
  effectsInBatch++;
  fs.appendFileSync(effectsFile, `${JSON.stringify({ eventId: entry.eventId, ...where, pid: process.pid })}\n`);
  return append(entity, entry);
};

const subscription = subscriptionsOf(consumer).find((s) => s.context === "orders")!;
const mapping = new LocalEventSourceMapping({
  kafka: createKafka(kafkaSettingsFromEnv("audit-archive-process")),
  group: consumer.name,
  groupId: names.consumerGroupId(env("STACK"), consumer.name, subscription.context),
  topic: subscription.topic,
  handler,
  batchSize: consumer.batch.size,
  windowSeconds: consumer.batch.windowSeconds,
  filters: filterPatterns(subscription.types),
  retries: consumer.retries,
  bisectOnError: consumer.bisectOnError,
  maxPollers: consumer.scaling.maxPollers,
  onFailureTopic: names.deadLetterTopic(consumer.name),
  sessionTimeoutMs: Number(env("SESSION_TIMEOUT_MS")),
  functionTimeoutSeconds: Number(env("FUNCTION_TIMEOUT_SECONDS")),
  observer: {
    onDelivered: (records) => {
      batches++;
      effectsInBatch = 0;
      current = { partition: records[0]!.partition, offsets: records.map((r) => r.offset) };
      for (const r of records) if (r.id) coordinates.set(r.id, { partition: r.partition, offset: r.offset });
      say({ kind: "delivered", partition: current.partition, records: records.map((r) => ({ offset: r.offset, id: r.id })) });
    },
    onCommit: ({ partition, offset }) => say({ kind: "committed", partition, offset }),
    onFailureDestination: (records, reason) => say({ kind: "on-failure", reason, offsets: records.map((r) => r.offset) }),
  },
});

async function main(): Promise<void> {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await mapping.stop();
    await handler.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  await mapping.start();
  say({ kind: "ready" });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
