import type { Kafka } from "kafkajs";
import { CONSUMER_DEFAULTS } from "../platform/model";
import { benchContext, type BenchContext, benchMapping, encodedRecords, topicOf } from "./fixtures";
import { abba, benchKafka, createTopic, produceRecords, type Section, SectionFailure, waitFor } from "./harness";
import { compare, comparisonColumns } from "./report";
import { round } from "./stats";

export interface ConsumeRun {
  /** N records over the time from start (connect, join) to the Nth record handled; both reads pooled. */
  readonly eventsPerSecond: number;
  /** Records after the first delivery over the time from it to the Nth: the rate once consuming. */
  readonly steadyEventsPerSecond: number;
  readonly firstRecordMs: number;
  readonly totalMs: number;
}

/** How long a consumer may take to read everything before the section fails. */
const timeoutMs = (events: number) => 60_000 + events * 5;

/**
 * Consume path: N CloudEvent records produced once, then read by (a) the event source mapping
 * emulation invoking the real `consume()` wrapper with a no-op handler and (b) a raw kafkajs
 * `eachBatch` consumer that counts records, each as a fresh consumer group.
 */
export const consumeSection: Section = {
  name: "consume",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    const kafka = benchKafka(context, "consume");
    const bench = benchContext(context.runId, "cons");
    await createTopic(kafka, topicOf(bench), options.partitions);
    await produceRecords(kafka, topicOf(bench), encodedRecords(bench, options.consumeEvents));

    // Each side reads all N records twice, as a fresh group each time, in turns.
    let reads = 0;
    const runs = await abba((side) =>
      side === "figure"
        ? mappingConsumer(kafka, bench, options.consumeEvents, options.partitions, ++reads)
        : rawConsumer(kafka, bench, options.consumeEvents, options.partitions, ++reads),
    );
    const mapping = pool(runs.figure);
    const raw = pool(runs.baseline);
    context.log(`consume: mapping ${mapping.eventsPerSecond} events/s, raw ${raw.eventsPerSecond} events/s`);

    return {
      data: { events: options.consumeEvents, batchSize: CONSUMER_DEFAULTS.batch.size, pollers: options.partitions, mapping, raw },
      tables: [
        {
          title: "Consume path: event source mapping emulation + consume() vs raw kafkajs eachBatch consumer",
          columns: comparisonColumns("mapping+consume", "raw eachBatch"),
          rows: [
            compare("events/s (start to Nth)", mapping.eventsPerSecond, raw.eventsPerSecond),
            compare("events/s (after first delivery)", mapping.steadyEventsPerSecond, raw.steadyEventsPerSecond),
            compare("first record after ms", mapping.firstRecordMs, raw.firstRecordMs),
          ],
          note: `${options.consumeEvents} records on ${options.partitions} partitions, read twice per side by a fresh group; batch ${CONSUMER_DEFAULTS.batch.size}, ${options.partitions} partitions at once on both sides.`,
        },
      ],
    };
  },
};

/** Counts handled records and stamps the first and the Nth. */
class Counter {
  count = 0;
  first = 0;
  /** Records of the first delivery: a raw batch may hold thousands, an invocation at most 100. */
  firstRecords = 0;
  last = 0;
  constructor(private readonly target: number) {}
  add(records: number): void {
    const now = performance.now();
    if (this.count === 0) {
      this.first = now;
      this.firstRecords = records;
    }
    this.count += records;
    if (this.count >= this.target && this.last === 0) this.last = now;
  }
  done = () => this.last > 0;
  read(started: number): Read {
    return { records: this.count, firstRecords: this.firstRecords, firstMs: this.first - started, lastMs: this.last - started };
  }
}

/** One read of the topic, times from the consumer's start. */
interface Read {
  readonly records: number;
  readonly firstRecords: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/** Both reads of a side as one: records over summed times. */
function pool(reads: readonly Read[]): ConsumeRun {
  const sum = (f: (read: Read) => number) => reads.reduce((total, read) => total + f(read), 0);
  const steadyMs = sum((read) => read.lastMs - read.firstMs);
  return {
    eventsPerSecond: round(sum((read) => read.records) / (sum((read) => read.lastMs) / 1000)),
    // Under a few ms (everything came in the first fetch) the rate means nothing.
    steadyEventsPerSecond: steadyMs >= 5 ? round(sum((read) => read.records - read.firstRecords) / (steadyMs / 1000)) : NaN,
    firstRecordMs: round(sum((read) => read.firstMs) / reads.length),
    totalMs: round(sum((read) => read.lastMs) / reads.length),
  };
}

async function mappingConsumer(kafka: Kafka, bench: BenchContext, count: number, pollers: number, read: number): Promise<Read> {
  const counter = new Counter(count);
  const mapping = benchMapping(kafka, bench, `mapping${read}`, pollers, () => counter.add(1));
  const started = performance.now();
  try {
    await mapping.start();
    await waitFor(counter.done, timeoutMs(count), () => `the mapping handled ${counter.count} of ${count} records`);
  } finally {
    await mapping.stop();
  }
  return counter.read(started);
}

/** kafkajs defaults, but the mapping's fetch wait and parallelism so both poll alike. */
async function rawConsumer(kafka: Kafka, bench: BenchContext, count: number, pollers: number, read: number): Promise<Read> {
  const consumer = kafka.consumer({ groupId: `bench.${bench.name}.raw${read}`, maxWaitTimeInMs: 500 });
  const counter = new Counter(count);
  const started = performance.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topicOf(bench)], fromBeginning: true });
    let crashed: Error | undefined;
    consumer.on(consumer.events.CRASH, ({ payload }) => (crashed = payload.error));
    await consumer.run({ partitionsConsumedConcurrently: pollers, eachBatch: async ({ batch }) => counter.add(batch.messages.length) });
    await waitFor(() => counter.done() || crashed !== undefined, timeoutMs(count), () => `the raw consumer read ${counter.count} of ${count} records`);
    if (crashed) throw new SectionFailure(`the raw consumer crashed: ${crashed.message}`);
  } finally {
    await consumer.disconnect();
  }
  return counter.read(started);
}
