import type { Kafka } from "kafkajs";
import { MilestonePublisher } from "../platform/runtime/publisher";
import { benchContext, encodedRecords, milestoneInput, topicOf, valueBytes } from "./fixtures";
import { benchKafka, createTopic, rawProducer, type Section, type SectionContext, type Sender, type SendRun, type Sides, summarizeSends, timeSenders } from "./harness";
import { compare, comparisonColumns } from "./report";

export type PublishRun = SendRun;

export interface PublishData {
  readonly valueBytes: number;
  readonly sequential: { readonly events: number; readonly publisher: PublishRun; readonly raw: PublishRun };
  readonly concurrent: { readonly events: number; readonly inFlight: number; readonly publisher: PublishRun; readonly raw: PublishRun };
}

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
          note: `${options.sequentialEvents} sequential / ${options.events} concurrent events per side, after ${options.warmup} warm-up each; latency per call (performance.now()).`,
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
  ];
}

/** A fresh publisher and raw producer, each on its own topic, warmed up, then timed in turns. */
async function measure(context: SectionContext, kafka: Kafka, label: string, count: number, inFlight: number): Promise<Sides<PublishRun>> {
  const { warmup } = context.options;
  const senders: Sides<Sender> = {
    figure: await publisherSender(context, kafka, `${label}p`),
    baseline: await rawSender(context, kafka, `${label}r`, warmup + count),
  };
  const runs = await timeSenders(senders, warmup, count, inFlight);
  const result = { figure: summarizeSends(runs.figure), baseline: summarizeSends(runs.baseline) };
  context.log(`publish ${label}: publisher ${result.figure.eventsPerSecond} events/s, raw ${result.baseline.eventsPerSecond} events/s`);
  return result;
}

async function publisherSender(context: SectionContext, kafka: Kafka, label: string): Promise<Sender> {
  const bench = benchContext(context.runId, label);
  await createTopic(kafka, topicOf(bench), context.options.partitions);
  const publisher = new MilestonePublisher(bench, { kafka });
  return { send: (index) => publisher.publish(milestoneInput(bench, index)), close: () => publisher.close() };
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
