/*
 * The kafkajs bug SharedProducer works around (tulios/kafkajs#1005): an idempotent producer gives
 * a failed send's sequence number back, so when the broker had appended that batch, the next
 * record reuses the sequence and is answered as a duplicate — acknowledged, never written. The
 * fault is injected where it happens on a real broker: the produce request reaches the broker and
 * is appended, then the answer is lost (the connection drops).
 */
import { untilServed } from "../../platform/local/topics";
import { createRequire } from "node:module";
import { Kafka, KafkaJSConnectionError, logLevel, type RecordMetadata } from "kafkajs";
import { createIdempotentProducer, KafkaAuth, kafkaConfig, SharedProducer } from "../../platform/runtime/kafka";
import { consumeUntil, uniqueName } from "../support/kafka";

const testKafkaBrokers = () => process.env.KAFKA_BROKERS!.split(",");

// kafkajs' broker connection class, the one its producers use.
const Broker = createRequire(require.resolve("kafkajs"))("./src/broker") as { prototype: { produce: (...args: unknown[]) => Promise<unknown> } };
const realProduce = Broker.prototype.produce;

/**
 * The next produce request is appended by the broker and its answer lost; every retry of it
 * then finds the broker gone, until `restoreBroker()`: the send fails, though its record is there.
 */
function loseNextAnswer(): void {
  let appended = false;
  Broker.prototype.produce = async function (this: unknown, ...args: unknown[]) {
    if (appended) throw new KafkaJSConnectionError("connect ECONNREFUSED (injected: the broker is gone)");
    appended = true;
    await realProduce.apply(this, args);
    throw new KafkaJSConnectionError("Connection closed (injected: the broker had appended the batch)");
  };
}

/**
 * The next produce request is held, unanswered, until `release()`; then it and every retry of it
 * (the same producer's connection) fail as if the broker had gone, while other producers' requests go through.
 */
function holdNextRequest(): { reached: Promise<void>; release: () => void } {
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  let heldOn: unknown;
  Broker.prototype.produce = async function (this: unknown, ...args: unknown[]) {
    if (heldOn === undefined) {
      heldOn = this;
      reach();
      await released;
    }
    if (this === heldOn) throw new KafkaJSConnectionError("Connection closed (injected: the request was never answered)");
    return realProduce.apply(this, args);
  };
  return { reached, release };
}

function restoreBroker(): void {
  Broker.prototype.produce = realProduce;
}

describe("an idempotent producer whose request was appended but whose answer was lost", () => {
  // The runtime's own client settings: its retries give up within seconds.
  const kafka = new Kafka({ ...kafkaConfig({ brokers: testKafkaBrokers(), auth: KafkaAuth.None, clientId: "shared-producer" }), logLevel: logLevel.NOTHING });

  afterEach(restoreBroker);

  async function topicWithOnePartition(): Promise<string> {
    const topic = uniqueName("seq");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await untilServed(admin, [topic]);
    await admin.disconnect();
    return topic;
  }

  async function valuesOn(topic: string, count: number): Promise<string[]> {
    const reader = kafka.consumer({ groupId: uniqueName("seq-reader") });
    await reader.connect();
    const received = await consumeUntil(reader, topic, count, 30_000);
    await reader.disconnect();
    return received.map((r) => r.message.value!.toString());
  }

  const message = (value: string) => ({ acks: -1 as const, messages: [{ key: "k", value }] });

  /** A SharedProducer whose producers count the sends they have in flight at once, and the most they ever had. */
  function countingSharedProducer() {
    const mostInFlight: number[] = [];
    const shared = new SharedProducer(() => {
      const producer = createIdempotentProducer(kafka);
      const index = mostInFlight.push(0) - 1;
      let inFlight = 0;
      const send = producer.send.bind(producer);
      producer.send = async (record) => {
        mostInFlight[index] = Math.max(mostInFlight[index]!, ++inFlight);
        try {
          return await send(record);
        } finally {
          inFlight--;
        }
      };
      return producer;
    });
    return { shared, mostInFlight };
  }

  it("loses the next record with a bare kafkajs producer (the bug, pinned: when this fails, kafkajs fixed it)", async () => {
    // Prepare
    const topic = await topicWithOnePartition();
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await producer.send({ topic, ...message("a") });

    // Act
    loseNextAnswer();
    const b = await producer.send({ topic, ...message("b") }).catch((error: Error) => error);
    restoreBroker();
    const [c] = await producer.send({ topic, ...message("c") });
    await producer.disconnect();

    // Assess: c was acknowledged at b's offset, and is not on the topic
    expect(b).toBeInstanceOf(Error);
    expect(c).toMatchObject({ baseOffset: "1" });
    expect(await valuesOn(topic, 2)).toEqual(["a", "b"]);
  });

  it("writes the next record with SharedProducer, which drops the producer after a failed send", async () => {
    // Prepare
    const topic = await topicWithOnePartition();
    const shared = new SharedProducer(() => createIdempotentProducer(kafka));
    await shared.send({ topic, ...message("a") });

    // Act
    loseNextAnswer();
    const b = await shared.send({ topic, ...message("b") }).catch((error: Error) => error);
    restoreBroker();
    const [c] = await shared.send({ topic, ...message("c") });
    await shared.disconnect();

    // Assess: b is on the topic (appended; a retry would find it) and so is c, where it was acknowledged
    expect(b).toBeInstanceOf(Error);
    expect(c).toMatchObject({ baseOffset: "2" });
    expect(await valuesOn(topic, 3)).toEqual(["a", "b", "c"]);
  });

  it("writes both of two concurrent sends with SharedProducer, one after the other", async () => {
    // Prepare
    const topic = await topicWithOnePartition();
    const shared = new SharedProducer(() => createIdempotentProducer(kafka));
    await shared.send({ topic, ...message("a") });

    // Act: b's answer is lost and the broker is back by the time c goes (c was sent while b was in flight)
    loseNextAnswer();
    const sending = [shared.send({ topic, ...message("b") }), shared.send({ topic, ...message("c") })];
    await sending[0]!.catch(restoreBroker);
    const [b, c] = (await Promise.allSettled(sending)) as [PromiseSettledResult<RecordMetadata[]>, PromiseSettledResult<RecordMetadata[]>];
    await shared.disconnect();

    // Assess
    expect(b.status).toBe("rejected");
    expect(c.status === "fulfilled" && c.value[0]).toMatchObject({ baseOffset: "2" });
    expect(await valuesOn(topic, 3)).toEqual(["a", "b", "c"]);
  });

  it("keeps one send at a time, in order, when a hung send is abandoned with sends queued behind it", async () => {
    // Prepare
    const topic = await topicWithOnePartition();
    const { shared, mostInFlight } = countingSharedProducer();
    await shared.send({ topic, ...message("a") });

    // Act: b hangs and c, d wait behind it; b is abandoned (as a publish deadline does), e and f are sent after that; then b fails
    const { reached, release } = holdNextRequest();
    const hung = shared.send({ topic, ...message("b") });
    const queued = [shared.send({ topic, ...message("c") }), shared.send({ topic, ...message("d") })];
    await reached;
    shared.abandon();
    const later = [shared.send({ topic, ...message("e") }), shared.send({ topic, ...message("f") })];
    release();
    const [b, ...rest] = await Promise.allSettled([hung, ...queued, ...later]);
    await shared.disconnect();

    // Assess: the fault happened (b failed); no producer ever had two sends in flight; c to f were written once each, in the order sent
    expect(b!.status).toBe("rejected");
    expect(mostInFlight).toEqual([1, 1]);
    expect(rest.map((r) => r.status === "fulfilled" && r.value[0]!.baseOffset)).toEqual(["1", "2", "3", "4"]);
    expect(await valuesOn(topic, 5)).toEqual(["a", "c", "d", "e", "f"]);
  });
});
