import { randomBytes } from "node:crypto";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { ensureTopics } from "../platform/local/topics";
import { type Latency, latency, round } from "./stats";
import type { BrokerPath } from "../platform/broker/start-broker";
import type { BenchOptions, SectionName } from "./options";
import type { Table } from "./report";

/** What the run hands each section. */
export interface SectionContext {
  readonly options: BenchOptions;
  /** Set when the section needs a broker: the one broker of the whole run. */
  readonly broker: { readonly brokers: string[]; readonly path: BrokerPath; readonly description: string } | undefined;
  /** Makes this run's topic and group names unique on a shared broker. */
  readonly runId: string;
  /** Results of the sections that ran before, for cross-references (publish vs broker ceiling). */
  readonly earlier: ReadonlyMap<SectionName, SectionOutput>;
  log(line: string): void;
}

export interface SectionOutput {
  readonly tables: readonly Table[];
  /** Everything measured, for results.json. */
  readonly data: object;
}

export interface Section {
  readonly name: SectionName;
  readonly needsBroker: boolean;
  run(context: SectionContext): Promise<SectionOutput>;
}

/** A failed section: the run goes on with the others and exits non-zero. */
export class SectionFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SectionFailure";
  }
}

export const newRunId = () => randomBytes(3).toString("hex");

export function benchKafka(context: SectionContext, clientId: string): Kafka {
  if (!context.broker) throw new Error("this section needs the broker");
  return new Kafka({ clientId: `bench-${clientId}`, brokers: context.broker.brokers, logLevel: logLevel.NOTHING });
}

/** A fresh topic with the run's partition count, so no measurement reads another's records. */
export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ name: topic, purpose: "events", owner: "bench" }], { partitions });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The raw kafkajs baseline producer, configured as the milestone publisher's
 * (createIdempotentProducer): idempotent, one request in flight, Java-compatible partitioning.
 * Spelled out here so the baseline does not go through Ensemble's code.
 */
export function rawProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

export interface Driven {
  /** Per-call latency in ms, by call index. */
  readonly latencies: Float64Array;
  readonly seconds: number;
  /**
   * The process's CPU time (user + system, every thread: the JIT's too) over the run, in ms. Less
   * noisy than wall time on a shared machine, and on a 2-core machine shared with the broker a
   * side's extra CPU per call is what most of its extra latency is made of.
   */
  readonly cpuMs: number;
}

/**
 * Calls `call(0..count-1)` with `concurrency` calls in flight (a new one starts as one ends) and
 * times each call. Both sides of every comparison run through this, so the harness costs the same.
 */
export async function drive(count: number, concurrency: number, call: (index: number) => Promise<unknown>): Promise<Driven> {
  const latencies = new Float64Array(count);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const t0 = performance.now();
      await call(index);
      latencies[index] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { latencies, seconds, cpuMs: (used.user + used.system) / 1000 };
}

/** Sends record `index` of what it was given, and releases what it holds. */
export interface Sender {
  send(index: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Warms both senders up (`warmup` sends each), then times `count` sends per side with `inFlight`
 * in flight, in turns (see {@link abba}), and closes both: the send comparison every section makes.
 */
export async function timeSenders(senders: Sides<Sender>, warmup: number, count: number, inFlight: number): Promise<Sides<[Driven, Driven]>> {
  try {
    for (const sender of [senders.baseline, senders.figure]) await drive(warmup, inFlight, (index) => sender.send(index));
    const parts = halves(count);
    return await abba((side, half) => {
      const [first, size] = parts[half];
      return drive(size, inFlight, (index) => senders[side].send(warmup + first + index));
    });
  } finally {
    await Promise.all([senders.figure.close(), senders.baseline.close()]);
  }
}

/** One side's timed sends: rate over the summed time, latency over every call. */
export interface SendRun {
  readonly eventsPerSecond: number;
  readonly latencyMs: Latency;
  /** The process's CPU time per call, in µs (both sides run in the one bench process). */
  readonly cpuMicrosPerCall: number;
}

export function summarizeSends(runs: readonly Driven[]): SendRun {
  const latencyMs = latency(runs.flatMap((run) => [...run.latencies]));
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const cpuMs = runs.reduce((sum, run) => sum + run.cpuMs, 0);
  return { eventsPerSecond: round(latencyMs.count / seconds), latencyMs: { ...latencyMs, mean: round(latencyMs.mean) }, cpuMicrosPerCall: round((1000 * cpuMs) / latencyMs.count) };
}

/** Puts `records` on `topic` once, 500 to a send: how fast does not matter here. */
export async function produceRecords(kafka: Kafka, topic: string, records: readonly Parameters<Producer["send"]>[0]["messages"][number][]): Promise<void> {
  const producer = rawProducer(kafka);
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 500) await producer.send({ topic, acks: -1, messages: records.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `done()` holds; fails the section with `what()` after `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new SectionFailure(`${what()} after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(5);
  }
}

/** The two sides of a comparison, as every section names them. */
export interface Sides<T> {
  readonly figure: T;
  readonly baseline: T;
}

/**
 * Runs each side twice in the order baseline, figure, figure, baseline (half the work each time),
 * so drift during the run (the broker's JIT warming up, the page cache, other load) favours
 * neither side. Returns each side's two halves.
 */
export async function abba<T>(run: (side: keyof Sides<unknown>, half: 0 | 1) => Promise<T>): Promise<Sides<[T, T]>> {
  const baseline0 = await run("baseline", 0);
  const figure0 = await run("figure", 0);
  const figure1 = await run("figure", 1);
  const baseline1 = await run("baseline", 1);
  return { figure: [figure0, figure1], baseline: [baseline0, baseline1] };
}

/** Splits `count` into the two halves `abba` runs: [first index, count] of each. */
export function halves(count: number): [[number, number], [number, number]] {
  const first = Math.floor(count / 2);
  return [
    [0, first],
    [first, count - first],
  ];
}

/**
 * A broker just started runs its request path in the JVM's interpreter until the JIT has compiled
 * it, which the first section would pay for; a few thousand single sends first take that out of
 * every measurement.
 */
export async function warmUpBroker(context: SectionContext, sends: number): Promise<void> {
  const kafka = benchKafka(context, "warmup");
  const topic = `bench-${context.runId}-warmup`;
  await createTopic(kafka, topic, context.options.partitions);
  const producer = rawProducer(kafka);
  await producer.connect();
  try {
    const value = "x".repeat(600);
    await drive(sends, 32, (index) => producer.send({ topic, acks: -1, messages: [{ key: `key-${index}`, value }] }));
  } finally {
    await producer.disconnect();
  }
}
