import { randomUUID } from "node:crypto";
import { type Consumer, Kafka, type KafkaMessage, logLevel, Partitioners } from "kafkajs";

/** A kafkajs client for the broker global setup started (or KAFKA_BROKERS named). */
export function testKafka(clientId = "ensemble-test"): Kafka {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error("KAFKA_BROKERS is not set: integration tests run through jest's global setup (npm run test:integration).");
  return new Kafka({ clientId, brokers: brokers.split(","), logLevel: logLevel.ERROR });
}

/** Java-compatible murmur2 partitioning, as the Java producer and MSK tooling use. */
export const createPartitioner = Partitioners.DefaultPartitioner;

/** A name no earlier run used, so tests never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface Received {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * Runs `consumer` on `topic` from the beginning until `count` records arrived, then resolves
 * with them in arrival order. Rejects with what did arrive if `timeoutMs` passes first.
 */
export async function consumeUntil(consumer: Consumer, topic: string, count: number, timeoutMs = 60_000): Promise<Received[]> {
  const received: Received[] = [];
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({ partition, message });
      if (received.length >= count) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} records arrived on ${topic} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([reached, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return received;
}
