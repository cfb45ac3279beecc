import type { Kafka } from "kafkajs";
import { MilestonePublisher } from "../platform/runtime/publisher";
import { benchContext, benchMapping, encodedRecords, milestoneInput, topicOf } from "./fixtures";
import { abba, benchKafka, createTopic, drive, halves, rawProducer, type Section, type SectionContext, SectionFailure, type Sides, sleep, waitFor } from "./harness";
import { compare, comparisonColumns, type Table } from "./report";
import { type Latency, latency, round } from "./stats";

/** Where an event is, by `<partition>:<offset>`: what both the send result and the handler know. */
type Position = string;
const position = (partition: number, offset: string | number): Position => `${partition}:${offset}`;

/** One pipeline under test: a way to send event `index`, and the arrival time of each position. */
interface Pipeline {
  send(index: number): Promise<{ partition: number; offset: string }>;
  readonly arrivals: Map<Position, number>;
  close(): Promise<void>;
}

export interface EndToEndRun {
  readonly events: number;
  /** The rate the calls were actually made at. */
  readonly offeredPerSecond: number;
  readonly latencyMs: Latency;
}

/** Offered load: `rate` events/s for `seconds`, or as fast as `concurrency` calls in flight go. */
type Load = { readonly kind: "rate"; readonly rate: number; readonly count: number } | { readonly kind: "saturation"; readonly concurrency: number; readonly count: number };

/**
 * End to end: from the publisher call to the consumer handler's first line, through the broker
 * and the event source mapping emulation, against raw kafkajs produce -> eachMessage consumer,
 * at a fixed offered rate and at saturation.
 */
export const endToEndSection: Section = {
  name: "end-to-end",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    const kafka = benchKafka(context, "e2e");
    const fixedLoads: Load[] = options.rates.map((rate) => ({ kind: "rate", rate, count: rate * options.seconds }));
    const saturation: Load = { kind: "saturation", concurrency: options.concurrency, count: options.events };
    const fixed: Sides<EndToEndRun>[] = [];
    // Labels name topics by their first four characters: "fi<i>" + the side letter keeps every run apart.
    for (const [i, load] of fixedLoads.entries()) fixed.push(await measure(context, kafka, `fi${i}`, load));
    const saturated = await measure(context, kafka, "sat", saturation);
    return {
      data: {
        fixed: fixedLoads.map((load, i) => ({ ...load, ensemble: fixed[i]!.figure, raw: fixed[i]!.baseline })),
        saturation: { ...saturation, ensemble: saturated.figure, raw: saturated.baseline },
      },
      tables: [
        ...options.rates.map((rate, i) => table(`End to end at ${rate} events/s offered for ${options.seconds} s per side: publisher call -> handler entry`, fixed[i]!)),
        table(`End to end at saturation (${options.concurrency} publish calls in flight, ${options.events} events per side)`, saturated),
      ],
    };
  },
};

function table(title: string, { figure, baseline }: Sides<EndToEndRun>): Table {
  return {
    title,
    columns: comparisonColumns("Ensemble", "raw kafkajs"),
    rows: [
      compare("offered events/s", figure.offeredPerSecond, baseline.offeredPerSecond),
      compare("p50 ms", figure.latencyMs.p50, baseline.latencyMs.p50),
      compare("p95 ms", figure.latencyMs.p95, baseline.latencyMs.p95),
      compare("p99 ms", figure.latencyMs.p99, baseline.latencyMs.p99),
      compare("max ms", figure.latencyMs.max, baseline.latencyMs.max),
    ],
    note: "Ensemble: milestone publisher -> event source mapping emulation -> consume() handler. Raw: producer.send of the same bytes -> eachMessage.",
  };
}

/** Both pipelines up and warmed, then each loaded twice in turns; latencies of both turns pooled. */
async function measure(context: SectionContext, kafka: Kafka, label: string, load: Load): Promise<Sides<EndToEndRun>> {
  const { warmup } = context.options;
  const total = warmup + load.count;
  const figure = await ensemblePipeline(context, kafka, `${label}e`);
  const baseline = await rawPipeline(context, kafka, `${label}r`, total).catch(async (error: unknown) => {
    await figure.close();
    throw error;
  });
  const pipelines: Sides<Pipeline> = { figure, baseline };
  try {
    for (const pipeline of [pipelines.baseline, pipelines.figure]) await warmUp(pipeline, warmup);
    const parts = halves(load.count);
    const turns = await abba((side, half) => {
      const [first, count] = parts[half];
      return offer(pipelines[side], load, warmup + first, count);
    });
    const result = { figure: pool(turns.figure), baseline: pool(turns.baseline) };
    context.log(`end-to-end ${label}: p50 ${result.figure.latencyMs.p50} ms (raw ${result.baseline.latencyMs.p50}), p99 ${result.figure.latencyMs.p99} ms (raw ${result.baseline.latencyMs.p99})`);
    return result;
  } finally {
    await Promise.all([pipelines.figure.close(), pipelines.baseline.close()]);
  }
}

/** Warm-up events, waited out so they cannot queue ahead of the measured ones. */
async function warmUp(pipeline: Pipeline, count: number): Promise<void> {
  await drive(count, 8, (index) => pipeline.send(index));
  await waitFor(() => pipeline.arrivals.size >= count, 60_000, () => `${pipeline.arrivals.size} of ${count} warm-up events arrived`);
  pipeline.arrivals.clear();
}

interface Turn {
  readonly latencies: number[];
  readonly seconds: number;
}

/** Sends events `first..first+count-1` under the load, waits until all reached the handler, and times each. */
async function offer(pipeline: Pipeline, load: Load, first: number, count: number): Promise<Turn> {
  const sent: { t0: number; at: Position }[] = new Array(count);
  const call = async (index: number) => {
    const t0 = performance.now();
    const meta = await pipeline.send(first + index);
    sent[index] = { t0, at: position(meta.partition, meta.offset) };
  };
  const started = performance.now();
  if (load.kind === "rate") await openLoop(load.rate, count, call);
  else await drive(count, load.concurrency, call);
  const seconds = (performance.now() - started) / 1000;
  await waitFor(() => pipeline.arrivals.size >= count, 60_000, () => `${pipeline.arrivals.size} of ${count} events reached the handler`);

  const latencies = sent.map(({ t0, at }) => {
    const t1 = pipeline.arrivals.get(at);
    if (t1 === undefined) throw new SectionFailure(`the event at partition:offset ${at} never reached the handler`);
    return t1 - t0;
  });
  pipeline.arrivals.clear();
  return { latencies, seconds };
}

function pool(turns: readonly Turn[]): EndToEndRun {
  const latencyMs = latency(turns.flatMap((turn) => turn.latencies));
  const seconds = turns.reduce((sum, turn) => sum + turn.seconds, 0);
  return { events: latencyMs.count, offeredPerSecond: round(latencyMs.count / seconds), latencyMs: roundLatency(latencyMs) };
}

const roundLatency = (l: Latency): Latency => ({ count: l.count, p50: round(l.p50), p95: round(l.p95), p99: round(l.p99), max: round(l.max), mean: round(l.mean) });

/** Open loop: call `i` is made at start + i/rate whether or not earlier calls have returned. */
async function openLoop(rate: number, count: number, call: (index: number) => Promise<void>): Promise<void> {
  const calls: Promise<void>[] = [];
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const wait = started + (index * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    calls.push(call(index));
  }
  await Promise.all(calls);
}

async function ensemblePipeline(context: SectionContext, kafka: Kafka, label: string): Promise<Pipeline> {
  const bench = benchContext(context.runId, label);
  await createTopic(kafka, topicOf(bench), context.options.partitions);
  const arrivals = new Map<Position, number>();
  const mapping = benchMapping(kafka, bench, "e2e", context.options.partitions, (record) => void arrivals.set(position(record.partition, record.offset), performance.now()));
  await mapping.start();
  const publisher = new MilestonePublisher(bench, { kafka });
  return {
    send: (index) => publisher.publish(milestoneInput(bench, index)),
    arrivals,
    close: async () => {
      await publisher.close();
      await mapping.stop();
    },
  };
}

async function rawPipeline(context: SectionContext, kafka: Kafka, label: string, total: number): Promise<Pipeline> {
  const bench = benchContext(context.runId, label);
  const topic = topicOf(bench);
  await createTopic(kafka, topic, context.options.partitions);
  const records = encodedRecords(bench, total);
  const arrivals = new Map<Position, number>();
  const consumer = kafka.consumer({ groupId: `bench.${bench.name}.raw`, maxWaitTimeInMs: 500 });
  const producer = rawProducer(kafka);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      partitionsConsumedConcurrently: context.options.partitions,
      eachMessage: async ({ partition, message }) => void arrivals.set(position(partition, message.offset), performance.now()),
    });
    await joined;
    await producer.connect();
  } catch (error) {
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
    throw error;
  }
  return {
    send: async (index) => {
      const [meta] = await producer.send({ topic, acks: -1, messages: [records[index]!] });
      return { partition: meta!.partition, offset: meta!.baseOffset ?? "-1" };
    },
    arrivals,
    close: async () => {
      await producer.disconnect();
      await consumer.disconnect();
    },
  };
}
