import { Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import type { Kafka } from "kafkajs";
import { benchContext, type BenchContext, encodedRecords, topicOf } from "./fixtures";
import {
  abba,
  benchKafka,
  createTopic,
  produceRecords,
  rawProducer,
  type Section,
  type SectionContext,
  SectionFailure,
  type Sender,
  type SendRun,
  type Sides,
  summarizeSends,
  timeSenders,
  waitFor,
} from "./harness";
import { compare, comparisonColumns } from "./report";
import { round } from "./stats";

/**
 * Kafka clients side by side: @platformatic/kafka (pure JavaScript, no native binary) against
 * kafkajs, the client Ensemble uses, raw on both sides (no Ensemble code) and on the same broker:
 * what a switch behind the one client factory (platform/runtime/kafka.ts) would buy. Adopting a
 * client takes more than this (MSK IAM auth, the idempotent producer's guarantees under faults);
 * the section only measures.
 *
 * Producer: idempotent, acks=-1, one request in flight per connection on both sides, the
 * publisher's CloudEvent records, 1 and `concurrency` sends in flight. Consumer: a fresh group
 * reads N records from the beginning, counting them.
 */
export const clientsSection: Section = {
  name: "clients",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    const kafka = benchKafka(context, "clients");
    const sequential = await measureProducers(context, kafka, "cs", options.sequentialEvents, 1);
    const concurrent = await measureProducers(context, kafka, "cc", options.events, options.concurrency);
    const consumers = await measureConsumers(context, kafka);
    const data = {
      sequential: { events: options.sequentialEvents, platformatic: sequential.figure, kafkajs: sequential.baseline },
      concurrent: { events: options.events, inFlight: options.concurrency, platformatic: concurrent.figure, kafkajs: concurrent.baseline },
      consume: { events: options.consumeEvents, platformatic: consumers.figure, kafkajs: consumers.baseline },
    };
    return {
      data,
      tables: [
        {
          title: "Clients, raw: @platformatic/kafka vs kafkajs (idempotent producer, acks=-1, 1 request in flight per connection; a fresh consumer group reading from the start)",
          columns: comparisonColumns("@platformatic/kafka", "kafkajs"),
          rows: [
            compare("send, 1 in flight: events/s", sequential.figure.eventsPerSecond, sequential.baseline.eventsPerSecond),
            compare("send, 1 in flight: p99 ms", sequential.figure.latencyMs.p99, sequential.baseline.latencyMs.p99),
            compare(`send, ${options.concurrency} in flight: events/s`, concurrent.figure.eventsPerSecond, concurrent.baseline.eventsPerSecond),
            compare(`send, ${options.concurrency} in flight: p99 ms`, concurrent.figure.latencyMs.p99, concurrent.baseline.latencyMs.p99),
            compare("consume: events/s (start to Nth)", consumers.figure.eventsPerSecond, consumers.baseline.eventsPerSecond),
          ],
          note: `${options.sequentialEvents} sequential / ${options.events} concurrent sends and ${options.consumeEvents} records read per side, in turns (kafkajs, platformatic, platformatic, kafkajs); nothing here is adopted on these figures alone.`,
        },
      ],
    };
  },
};

async function measureProducers(context: SectionContext, kafka: Kafka, label: string, count: number, inFlight: number): Promise<Sides<SendRun>> {
  const { warmup } = context.options;
  const senders: Sides<Sender> = {
    figure: await platformaticSender(context, kafka, `${label}p`, warmup + count),
    baseline: await kafkajsSender(context, kafka, `${label}k`, warmup + count),
  };
  const runs = await timeSenders(senders, warmup, count, inFlight);
  const result = { figure: summarizeSends(runs.figure), baseline: summarizeSends(runs.baseline) };
  context.log(`clients ${label}: platformatic ${result.figure.eventsPerSecond} events/s, kafkajs ${result.baseline.eventsPerSecond} events/s`);
  return result;
}

async function kafkajsSender(context: SectionContext, kafka: Kafka, label: string, total: number): Promise<Sender> {
  const bench = benchContext(context.runId, label);
  await createTopic(kafka, topicOf(bench), context.options.partitions);
  const records = encodedRecords(bench, total);
  const producer = rawProducer(kafka);
  await producer.connect();
  return { send: (index) => producer.send({ topic: topicOf(bench), acks: -1, messages: [records[index]!] }), close: () => producer.disconnect() };
}

async function platformaticSender(context: SectionContext, kafka: Kafka, label: string, total: number): Promise<Sender> {
  const bench = benchContext(context.runId, label);
  const topic = topicOf(bench);
  await createTopic(kafka, topic, context.options.partitions);
  const records = encodedRecords(bench, total).map((record) => ({ topic, key: record.key, value: record.value, headers: record.headers }));
  const producer = new Producer({
    clientId: `bench-clients-${label}`,
    bootstrapBrokers: context.broker!.brokers,
    idempotent: true,
    acks: -1,
    maxInflights: 1,
    serializers: stringSerializers,
  });
  return { send: (index) => producer.send({ messages: [records[index]!] }), close: () => producer.close() };
}

interface ConsumeRun {
  readonly eventsPerSecond: number;
}

/** N records produced once; each side reads them twice, as a fresh group each time, in turns. */
async function measureConsumers(context: SectionContext, kafka: Kafka): Promise<Sides<ConsumeRun>> {
  const count = context.options.consumeEvents;
  const bench = benchContext(context.runId, "clr");
  await createTopic(kafka, topicOf(bench), context.options.partitions);
  await produceRecords(kafka, topicOf(bench), encodedRecords(bench, count));
  let reads = 0;
  const runs = await abba((side) => (side === "figure" ? readWithPlatformatic(context, bench, count, ++reads) : readWithKafkajs(kafka, bench, count, ++reads)));
  const pool = (ms: readonly number[]) => ({ eventsPerSecond: round((count * ms.length) / (ms.reduce((sum, each) => sum + each, 0) / 1000)) });
  return { figure: pool(runs.figure), baseline: pool(runs.baseline) };
}

const readTimeoutMs = (count: number) => 60_000 + count * 5;

/** Milliseconds from creating the consumer to its Nth record. */
async function readWithPlatformatic(context: SectionContext, bench: BenchContext, count: number, read: number): Promise<number> {
  const started = performance.now();
  const consumer = new Consumer({
    clientId: `bench-clients-read${read}`,
    groupId: `bench.${bench.name}.platformatic${read}`,
    bootstrapBrokers: context.broker!.brokers,
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  });
  let seen = 0;
  try {
    const stream = await consumer.consume({ topics: [topicOf(bench)], mode: "earliest", autocommit: true });
    stream.on("data", () => seen++);
    await waitFor(() => seen >= count, readTimeoutMs(count), () => `@platformatic/kafka read ${seen} of ${count} records`);
    const ms = performance.now() - started;
    await stream.close();
    return ms;
  } finally {
    await consumer.close(true);
  }
}

async function readWithKafkajs(kafka: Kafka, bench: BenchContext, count: number, read: number): Promise<number> {
  const started = performance.now();
  const consumer = kafka.consumer({ groupId: `bench.${bench.name}.kafkajs${read}`, maxWaitTimeInMs: 500 });
  let seen = 0;
  let crashed: Error | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topicOf(bench)], fromBeginning: true });
    consumer.on(consumer.events.CRASH, ({ payload }) => (crashed = payload.error));
    await consumer.run({ partitionsConsumedConcurrently: 3, eachBatch: async ({ batch }) => void (seen += batch.messages.length) });
    await waitFor(() => seen >= count || crashed !== undefined, readTimeoutMs(count), () => `kafkajs read ${seen} of ${count} records`);
    if (crashed) throw new SectionFailure(`the kafkajs consumer crashed: ${crashed.message}`);
    return performance.now() - started;
  } finally {
    await consumer.disconnect();
  }
}
