import { untilServed } from "../../platform/local/topics";
import type { Admin, Consumer, Producer } from "kafkajs";
import { BrokerPath, startBroker } from "../../platform/broker/start-broker";
import { consumeUntil, createPartitioner, testKafka, uniqueName } from "../support/kafka";

const PARTITIONS = 3;
const MESSAGES = 1_000;
const KEYS = 25;

describe("the broker harness", () => {
  const kafka = testKafka("broker-harness");
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;
  const topic = uniqueName("harness");
  const groupId = uniqueName("harness-group");

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner, idempotent: true, maxInFlightRequests: 1 });
    consumer = kafka.consumer({ groupId });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  });

  it("delivers 1,000 keyed messages to a consumer group once each, in order per key", async () => {
    // Prepare
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })).toBe(true);
    await untilServed(admin, [topic]);
    const sent = Array.from({ length: MESSAGES }, (_, i) => ({ key: `entity-${i % KEYS}`, seq: Math.floor(i / KEYS), id: i }));

    // Act
    for (let i = 0; i < sent.length; i += 100) {
      await producer.send({
        topic,
        acks: -1,
        messages: sent.slice(i, i + 100).map((m) => ({ key: m.key, value: JSON.stringify(m) })),
      });
    }
    const received = await consumeUntil(consumer, topic, MESSAGES);
    await consumer.stop();

    // Assess: every message exactly once
    const ids = received.map(({ message }) => (JSON.parse(message.value!.toString()) as { id: number }).id);
    expect(ids).toHaveLength(MESSAGES);
    expect(new Set(ids).size).toBe(MESSAGES);

    // Assess: per key, one partition and increasing sequence numbers
    const byKey = new Map<string, { partitions: Set<number>; seqs: number[] }>();
    for (const { partition, message } of received) {
      const { key, seq } = JSON.parse(message.value!.toString()) as { key: string; seq: number };
      expect(message.key?.toString()).toBe(key);
      const entry = byKey.get(key) ?? { partitions: new Set<number>(), seqs: [] };
      entry.partitions.add(partition);
      entry.seqs.push(seq);
      byKey.set(key, entry);
    }
    expect(byKey.size).toBe(KEYS);
    for (const [, { partitions, seqs }] of byKey) {
      expect(partitions.size).toBe(1);
      expect(seqs).toEqual(Array.from({ length: MESSAGES / KEYS }, (_, i) => i));
    }
    // Keys spread over every partition, so the order check covered concurrency between partitions.
    expect(new Set(received.map((r) => r.partition)).size).toBe(PARTITIONS);

    // Assess: the group committed exactly what the topic holds
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = (offsets: { offset: string }[]) => offsets.reduce((sum, o) => sum + Number(o.offset), 0);
    expect(total(ends)).toBe(MESSAGES);
    expect(total(committed!.partitions)).toBe(MESSAGES);
  });

  it("takes a running KAFKA_BROKERS as it is, logging one line that says so, and leaves it running on stop", async () => {
    // Prepare: the run's broker, named the way a developer would name theirs
    const brokers = process.env.KAFKA_BROKERS!;
    const log = jest.fn();

    // Act
    const broker = await startBroker({ env: { KAFKA_BROKERS: brokers }, log });
    await broker.stop();

    // Assess
    expect(broker).toMatchObject({ path: BrokerPath.Env, brokers: brokers.split(","), description: `KAFKA_BROKERS=${brokers}` });
    expect(log.mock.calls).toEqual([[expect.stringMatching(new RegExp(`^\\[ensemble\\] broker path: env — KAFKA_BROKERS=${brokers.replace(/\./g, "\\.")}, ready in \\d+\\.\\d s$`))]]);
    expect((await admin.describeCluster()).brokers.length).toBeGreaterThan(0);
  });
});
