import type { Kafka } from "kafkajs";
import { MilestonePublisher } from "../platform/runtime/publisher";
import { benchContext, encodedRecords, milestoneInput, topicOf, valueBytes } from "./fixtures";
import { benchKafka, createTopic, drive, rawProducer, type Section, type SectionContext, type Sender, type SendRun, type Sides, summarizeSends, timeSenders } from "./harness";
import { compare, comparisonColumns } from "./report";

export type PublishRun = SendRun;

export interface PublishData {
  readonly valueBytes: number;
  readonly sequential: { readonly events: number; readonly publisher: PublishRun; readonly raw: PublishRun };
  readonly concurrent: { readonly events: number; readonly inFlight: number; readonly publisher: PublishRun; readonly raw: PublishRun };
}

/** Calls per side that let V8 compile both sides' code before anything is timed. */
const CODE_WARMUP_CALLS_PER_WARMUP = 10;

/**
 * Publish path: the milestone publisher (input parse, schema check, CloudEvent, idempotent
 * producer) against a raw kafkajs `producer.send` of the same bytes, keys, acks and producer
 * settings, one call in flight and `concurrency` calls in flight.
 */
export const publishSection: Section = {
  name: "publish",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    const kafka = benchKafka(context, "publish");
    await warmUpCode(context, kafka);
    const sequential = await measure(context, kafka, "seq", options.sequentialEvents, 1);
    const concurrent = await measure(context, kafka, "con", options.events, options.concurrency);

    const data: PublishData = {
      valueBytes: valueBytes(encodedRecords(benchContext(context.runId, "size"), 1)[0]!),
      sequential: { events: options.sequentialEvents, publisher: sequential.figure, raw: sequential.baseline },
      concurrent: { events: options.events, inFlight: options.concurrency, publisher: concurrent.figure, raw: concurrent.baseline },
    };
    return {
      data,
      tables: [
        {
          title: `Publish path: milestone publisher vs raw kafkajs producer.send (${data.valueBytes} B CloudEvent, acks=-1, idempotent, 1 request in flight per connection)`,
          columns: comparisonColumns("publisher", "raw send"),
          rows: [...rows("1 in flight", sequential), ...rows(`${options.concurrency} in flight`, concurrent)],
          note: `${options.sequentialEvents} sequential / ${options.events} concurrent events per side, after ${options.warmup * CODE_WARMUP_CALLS_PER_WARMUP} calls per side to compile the code and ${options.warmup} warm-up each; latency per call (performance.now()); CPU: the process's user + system time over the calls.`,
        },
      ],
    };
  },
};

function rows(label: string, { figure, baseline }: Sides<PublishRun>) {
  return [
    compare(`${label}: events/s`, figure.eventsPerSecond, baseline.eventsPerSecond),
    compare(`${label}: p50 ms`, figure.latencyMs.p50, baseline.latencyMs.p50),
    compare(`${label}: p99 ms`, figure.latencyMs.p99, baseline.latencyMs.p99),
    compare(`${label}: CPU µs per call`, figure.cpuMicrosPerCall, baseline.cpuMicrosPerCall),
  ];
}

/**
 * Both sides' code, compiled before the first measurement. Each measurement's own warm-up
 * (`--warmup`-sized: 200 calls by default) warms its connection, but is too short for V8 to
 * optimise the publisher's code (zod, the CloudEvents SDK, uuid, OpenTelemetry), which is far
 * larger than a raw send's: measured first, the publisher's CPU per call at one in flight was
 * 2.9x the raw send's, and 2.1x when the same section ran again in the same process.
 */
async function warmUpCode(context: SectionContext, kafka: Kafka): Promise<void> {
  const calls = context.options.warmup * CODE_WARMUP_CALLS_PER_WARMUP;
  const senders = [await publisherSender(context, kafka, "jitp", calls), await rawSender(context, kafka, "jitr", calls)];
  try {
    for (const sender of senders) await drive(calls, context.options.concurrency, (index) => sender.send(index));
  } finally {
    await Promise.all(senders.map((sender) => sender.close()));
  }
}

/** A fresh publisher and raw producer, each on its own topic, warmed up, then timed in turns. */
async function measure(context: SectionContext, kafka: Kafka, label: string, count: number, inFlight: number): Promise<Sides<PublishRun>> {
  const { warmup } = context.options;
  const senders: Sides<Sender> = {
    figure: await publisherSender(context, kafka, `${label}p`, warmup + count),
    baseline: await rawSender(context, kafka, `${label}r`, warmup + count),
  };
  const runs = await timeSenders(senders, warmup, count, inFlight);
  const result = { figure: summarizeSends(runs.figure), baseline: summarizeSends(runs.baseline) };
  context.log(`publish ${label}: publisher ${result.figure.eventsPerSecond} events/s, raw ${result.baseline.eventsPerSecond} events/s`);
  return result;
}

/** The publisher's inputs are built before the clock starts too, as Step Functions hands them over. */
async function publisherSender(context: SectionContext, kafka: Kafka, label: string, total: number): Promise<Sender> {
  const bench = benchContext(context.runId, label);
  await createTopic(kafka, topicOf(bench), context.options.partitions);
  const inputs = Array.from({ length: total }, (_, index) => milestoneInput(bench, index));
  const publisher = new MilestonePublisher(bench, { kafka });
  return { send: (index) => publisher.publish(inputs[index]!), close: () => publisher.close() };
}

/** The raw side encodes every record before the clock starts: it measures the send alone. */
async function rawSender(context: SectionContext, kafka: Kafka, label: string, total: number): Promise<Sender> {
  const bench = benchContext(context.runId, label);
  const topic = topicOf(bench);
  await createTopic(kafka, topic, context.options.partitions);
  const records = encodedRecords(bench, total);
  const producer = rawProducer(kafka);
  await producer.connect();
  return { send: (index) => producer.send({ topic, acks: -1, messages: [records[index]!] }), close: () => producer.disconnect() };
}
