/*
 * ensureTopics returns only once every new partition is served by its leader: a producer that
 * never retries can write to every partition right away. (KRaft names a partition's leader in
 * the metadata before that leader serves it; a produce in between fails NOT_LEADER_FOR_PARTITION,
 * and a non-idempotent client's retry of a partly failed request duplicates the rest.)
 */
import { Kafka, logLevel } from "kafkajs";
import { ensureTopics } from "../../platform/local/topics";
import { uniqueName } from "../support/kafka";

describe("ensureTopics", () => {
  const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(","), clientId: "topics", logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ retry: { retries: 0 } });
  beforeAll(() => Promise.all([admin.connect(), producer.connect()]));
  afterAll(() => Promise.all([admin.disconnect(), producer.disconnect()]));

  it("returns when every partition of every new topic takes a write at once, with no retry", async () => {
    // Arrange
    const rounds = 10;
    const failures: string[] = [];

    // Act
    for (let round = 0; round < rounds; round++) {
      const base = uniqueName("topics");
      const created = await ensureTopics(admin, [
        { name: base, purpose: "events", owner: base },
        { name: `${base}.a.dlq`, purpose: "dead-letter", owner: `${base}.a` },
        { name: `${base}.b.dlq`, purpose: "dead-letter", owner: `${base}.b` },
      ]);
      expect(created).toHaveLength(3);
      // Every partition each topic has: 3 for the context topic, 2 (half, at least 1) for dead letters.
      const metadata = await admin.fetchTopicMetadata({ topics: created });
      expect(Object.fromEntries(metadata.topics.map((topic) => [topic.name, topic.partitions.length]))).toEqual({ [base]: 3, [`${base}.a.dlq`]: 2, [`${base}.b.dlq`]: 2 });
      const sends = metadata.topics.map(({ name: topic, partitions }) =>
        producer.send({ topic, acks: -1, messages: partitions.map(({ partitionId: partition }) => ({ partition, value: topic })) }),
      );
      const results = await Promise.allSettled(sends);
      for (const result of results) if (result.status === "rejected") failures.push(String(result.reason));
      // A send to a partition the topic lacks is dropped without an error: count what landed.
      const written = results.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
      expect(written).toHaveLength(7);
    }

    // Assert
    expect(failures).toEqual([]);
  });

  it("creates nothing and returns no names for topics that exist", async () => {
    const name = uniqueName("topics");
    expect(await ensureTopics(admin, [{ name, purpose: "events", owner: name }])).toEqual([name]);
    expect(await ensureTopics(admin, [{ name, purpose: "events", owner: name }])).toEqual([]);
  });
});
