import { Kafka, logLevel } from "kafkajs";
import { DeadLetterReader } from "../../platform/live-view/dead-letter-reader";
import { ensureTopics } from "../../platform/local/topics";
import { uniqueName } from "../support/kafka";

/** Polls `check` (a real condition, not a timer) until it holds or `timeoutMs` passes. */
async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const poison = (id: string) => ({
  key: `order-${id}`,
  value: JSON.stringify({ specversion: "1.0", id, type: "orders.OrderPlaced", source: "orders", data: {} }),
  headers: {
    "ensemble-dlq-reason": "schema-invalid",
    "ensemble-dlq-detail": `${id}: orderId is missing`,
    "ensemble-dlq-source-topic": "orders.events",
    "ensemble-dlq-source-partition": "0",
    "ensemble-dlq-source-offset": "3",
  },
});

describe("the live view's dead-letter reader, on the test broker", () => {
  const kafka = new Kafka({ clientId: "live-view-dlq", brokers: process.env.KAFKA_BROKERS!.split(","), logLevel: logLevel.NOTHING });
  const group = uniqueName("lv-group");
  const topic = `${group}.dlq`;
  const producer = kafka.producer();
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, purpose: "dead-letter", owner: group }], { partitions: 2 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  it("lists only what was dead-lettered after it started, each with its group, reason and event", async () => {
    // Prepare: a record of an earlier run, then the reader, then this run's.
    await producer.send({ topic, messages: [poison("before")] });
    const reader = await DeadLetterReader.from(kafka, new Map([[topic, group]]), "test");
    await producer.send({ topic, messages: [poison("after-1"), poison("after-2")] });

    try {
      // Act
      const unread = reader.all.length;
      await reader.read();
      await until("both dead letters of this run", () => reader.all.length >= 2);

      // Assess
      expect(unread).toBe(0);
      expect(reader.all.map((d) => ({ group: d.group, reason: d.reason, detail: d.detail, events: d.events })).sort((a, b) => a.detail!.localeCompare(b.detail!))).toEqual([
        { group, reason: "schema-invalid", detail: "after-1: orderId is missing", events: [{ type: "orders.OrderPlaced", id: "after-1", key: "order-after-1" }] },
        { group, reason: "schema-invalid", detail: "after-2: orderId is missing", events: [{ type: "orders.OrderPlaced", id: "after-2", key: "order-after-2" }] },
      ]);
    } finally {
      await reader.stop();
    }
  });
});
