import { createHash } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import { CONSUMER_DEFAULTS } from "../platform/model";
import { consume } from "../platform/runtime/consumer";
import { InMemoryPersistenceLayer } from "../platform/runtime/idempotency";
import type { KafkaEvent } from "../platform/runtime/msk";
import { toMskEvent } from "../platform/runtime/msk-event";
import { benchConsumer, benchContext, type BenchContext, encodedRecord, topicOf } from "./fixtures";
import { abba, type Section } from "./harness";
import { silentLogger } from "./logger";
import { compare, comparisonColumns } from "./report";
import { round } from "./stats";

export interface WrapperRun {
  readonly recordsPerSecond: number;
  /** Wall time per record, batches back to back. */
  readonly microsPerRecord: number;
}

/**
 * The consumer wrapper alone, no broker: `consume()` invoked with prepared MSK batches (the
 * shape Lambda hands it, 100 OrderPlaced records each, every event id new), beside a
 * hand-written loop over the same batches doing the same checks a record needs: base64 decode,
 * JSON parse, the CloudEvent's required attributes, the subscription, the event's schema, and a
 * remembered id with its content digest. What is left between the two is the wrapper's own cost
 * per record: the idempotency protocol (claim, then result, in the store), the CloudEvents SDK's
 * attribute check, the key-sorted digest, the trace span, stats and the partial batch response.
 */
export const wrapperSection: Section = {
  name: "wrapper",
  needsBroker: false,
  async run(context) {
    const bench = benchContext(context.runId, "wrap");
    const batchSize = CONSUMER_DEFAULTS.batch.size;
    const records = context.options.consumeEvents;
    const batches = preparedBatches(bench, records, batchSize);

    // Warm both up on a copy (the JIT, the schema), then time each side twice, in turns.
    await wrapperPass(bench, batches.slice(0, 20));
    handWrittenPass(bench, batches.slice(0, 20));
    const runs = await abba(async (side) => (side === "figure" ? wrapperPass(bench, batches) : handWrittenPass(bench, batches)));
    const wrapper = pool(runs.figure, batches.length * batchSize);
    const loop = pool(runs.baseline, batches.length * batchSize);
    context.log(`wrapper: consume() ${wrapper.microsPerRecord} µs/record, hand-written ${loop.microsPerRecord} µs/record`);

    return {
      data: { records: batches.length * batchSize, batchSize, wrapper, handWritten: loop },
      tables: [
        {
          title: "Consumer wrapper alone: consume() on prepared MSK batches vs a hand-written decode-validate loop (no broker)",
          columns: comparisonColumns("consume()", "hand-written"),
          rows: [compare("records/s", wrapper.recordsPerSecond, loop.recordsPerSecond), compare("µs per record", wrapper.microsPerRecord, loop.microsPerRecord)],
          note: `${batches.length} batches of ${batchSize} records, each side twice in turns; in-memory idempotency store, logs off; the handler does nothing.`,
        },
      ],
    };
  },
};

/** MSK events of `size` records each, spread over 3 partitions as a mapping delivers them, one per invocation. */
export function preparedBatches(bench: BenchContext, count: number, size: number): KafkaEvent[] {
  const batches: KafkaEvent[] = [];
  for (let first = 0; first < count; first += size) {
    const messages: KafkaMessage[] = [];
    for (let index = first; index < Math.min(count, first + size); index++) {
      const record = encodedRecord(bench, index);
      messages.push({
        key: Buffer.from(record.key),
        value: Buffer.from(record.value),
        headers: Object.fromEntries(Object.entries(record.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))])),
        offset: String(index),
        timestamp: String(Date.now()),
        attributes: 0,
      });
    }
    batches.push(toMskEvent([{ topic: topicOf(bench), partition: (first / size) % 3, messages }]));
  }
  return batches;
}

export async function wrapperPass(bench: BenchContext, batches: readonly KafkaEvent[]): Promise<number> {
  let handled = 0;
  // A fresh store per pass: every id is new to it, as in a first delivery.
  const handler = consume(benchConsumer(bench, "wrapper"), () => void handled++, { logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() });
  const started = performance.now();
  for (const batch of batches) await handler(batch);
  const elapsed = performance.now() - started;
  await handler.close();
  if (handled !== batches.length * (batches[0] ? Object.values(batches[0].records)[0]!.length : 0)) throw new Error(`consume() handled ${handled} records`);
  return elapsed;
}

/** The checks a record needs, written out by hand: the baseline. */
async function handWrittenPass(bench: BenchContext, batches: readonly KafkaEvent[]): Promise<number> {
  const event = bench.events.OrderPlaced;
  const seen = new Map<string, string>();
  let handled = 0;
  const started = performance.now();
  for (const batch of batches) {
    for (const records of Object.values(batch.records)) {
      for (const record of records) {
        const cloudEvent = JSON.parse(Buffer.from(record.value!, "base64").toString("utf8")) as Record<string, unknown>;
        if (cloudEvent.specversion !== "1.0" || typeof cloudEvent.id !== "string" || typeof cloudEvent.source !== "string" || cloudEvent.type !== event.type) continue;
        if (!event.schema.safeParse(cloudEvent.data).success) continue;
        const digest = createHash("sha256").update(JSON.stringify([cloudEvent.type, cloudEvent.source, cloudEvent.subject ?? null, cloudEvent.data])).digest("base64url");
        if (seen.has(cloudEvent.id)) continue;
        seen.set(cloudEvent.id, digest);
        handled++;
      }
    }
  }
  const elapsed = performance.now() - started;
  if (handled === 0) throw new Error("the hand-written loop handled nothing");
  return elapsed;
}

function pool(elapsedMs: readonly number[], records: number): WrapperRun {
  const ms = elapsedMs.reduce((sum, value) => sum + value, 0);
  return { recordsPerSecond: round((records * elapsedMs.length) / (ms / 1000)), microsPerRecord: round((ms * 1000) / (records * elapsedMs.length)) };
}
