/*
 * Injected: on a 3-node KRaft cluster (replication factor 3, min ISR 2), the JVM of the leader of
 * partition 0 is SIGKILLed (kill -9, no clean shutdown) while an idempotent producer (acks=all)
 * writes to all three partitions without pause; once it is known how the producer fared, the
 * node is started again on its ports with its data.
 *
 * Observed: no send failed, and partition 0 took acknowledged writes again after the kill; its
 * leadership moved to one of the other two nodes; a consumer read exactly the acknowledged
 * records, each once (compared as lists, before any dedup); the restarted node rejoined the ISR
 * of every partition. The figures (start, failover, stall, rejoin) go to
 * test-results/failure-host-cluster.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Admin, type Consumer, Kafka, logLevel, type Producer } from "kafkajs";
import { HostKafkaCluster, type StartedHostKafkaCluster } from "../../platform/local/host-cluster";
import { Signal } from "../support/wait";
import { runId } from "./support/broker";

jest.setTimeout(180_000);

const PARTITIONS = 3;
const RESULTS = path.resolve(__dirname, "../../test-results/failure-host-cluster.json");

interface Ack {
  readonly value: string;
  readonly partition: number;
  readonly at: number;
}

describe("a 3-node host cluster losing a partition leader to SIGKILL", () => {
  const topic = `cluster-${runId()}`;
  const signal = new Signal();
  let cluster: StartedHostKafkaCluster;
  let admin: Admin;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  /** The producing loop, stopped by the test or, if it fails midway, by afterAll. */
  let producing = false;
  let stream: Promise<void> | undefined;
  let kafka: Kafka;
  let startMs: number;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await new HostKafkaCluster().withNodes(3).start();
    startMs = Date.now() - started;
    // Backs off for at most 1 s (kafkajs defaults to 30 s) and keeps trying for ~20 s, longer
    // than the 4 s it takes the cluster to fence a dead broker and move its leaderships.
    kafka = new Kafka({
      clientId: topic,
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 25 },
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }] });
  });

  afterAll(async () => {
    producing = false;
    await stream;
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.stop();
  });

  /** Partition → its leader and ISR, as the cluster reports them now. */
  async function partitions() {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Map(topics[0]!.partitions.map((p) => [p.partitionId, { leader: p.leader, isr: [...p.isr].sort() }]));
  }

  /** Polls an asynchronous condition (metadata) until it holds; rejects after `timeoutMs` with the last state. */
  async function eventually<T>(probe: () => Promise<T>, holds: (state: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const state = await probe();
        if (holds(state)) return state;
        last = state;
      } catch (error) {
        last = error; // a broker that just died may answer nothing; the next probe asks again
      }
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last state: ${JSON.stringify(last, replacer)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("keeps acknowledging writes, loses and repeats none, and takes the killed node back into the ISR", async () => {
    // Prepare: an idempotent producer writing one record at a time, round-robin over the partitions
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: Ack[] = [];
    const failed: { value: string; error: string }[] = [];
    producing = true;
    stream = (async () => {
      for (let i = 0; producing; i++) {
        const value = `m-${i}`;
        const partition = i % PARTITIONS;
        try {
          await producer!.send({ topic, acks: -1, messages: [{ value, partition }] });
          acked.push({ value, partition, at: Date.now() });
        } catch (error) {
          failed.push({ value, error: String(error) });
        }
        signal.notify();
      }
    })();
    const ackedOn = (partition: number, after: number) => acked.filter((a) => a.partition === partition && a.at > after).length;

    // Act: SIGKILL the leader of partition 0 mid-stream
    const victim = (await partitions()).get(0)!.leader;
    const survivors = cluster.nodeIds.filter((id) => id !== victim);
    await signal.until(() => ackedOn(0, 0) >= 50, "50 acknowledged writes to partition 0 before the kill", 30_000, () => ({ acked: acked.length, failed }));
    const killedAt = Date.now();
    const ackedBeforeKill = acked.length;
    await cluster.kill(victim, "SIGKILL");

    // Assess: partition 0 gets a new leader among the two others, and takes writes again
    const failover = await eventually(partitions, (p) => survivors.includes(p.get(0)?.leader ?? -1), `a new leader of partition 0 among nodes ${survivors.join(", ")}`);
    const newLeaderAt = Date.now();
    await signal.until(() => ackedOn(0, newLeaderAt) >= 50, "50 acknowledged writes to partition 0 after the new leader", 30_000, () => ({ acked: acked.length, failed }));
    producing = false;
    await stream;
    expect(failed).toEqual([]);
    expect(acked.length).toBeGreaterThan(ackedBeforeKill);
    expect(failover.get(0)!.isr).not.toContain(victim);

    // Assess: a consumer reads every acknowledged record exactly once, nothing else
    const offsets = await admin.fetchTopicOffsets(topic);
    const written = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    const consumed: string[] = [];
    // A short long-poll, so that disconnecting in afterAll does not wait out kafkajs' 5 s default.
    consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        consumed.push(message.value!.toString());
        signal.notify();
      },
    });
    await signal.until(() => consumed.length >= written, `all ${written} written records to be consumed`, 60_000, () => ({ consumed: consumed.length }));
    expect(written).toBe(acked.length);
    expect([...consumed].sort()).toEqual(acked.map((a) => a.value).sort());

    // Act: start the killed node again on its ports with its data
    const restartedAt = Date.now();
    await cluster.restart(victim);
    const servingAt = Date.now();

    // Assess: it rejoins the ISR of every partition
    const rejoined = await eventually(partitions, (p) => [...p.values()].every((x) => x.isr?.includes(victim)), `node ${victim} to rejoin every ISR`);
    const rejoinedAt = Date.now();
    expect([...rejoined.values()].map((p) => p.isr)).toEqual(Array(PARTITIONS).fill(cluster.nodeIds));

    // Record the figures
    const ms = (from: number, to: number) => to - from;
    const gapsAfterKill = acked.slice(ackedBeforeKill).map((a, i) => a.at - acked[ackedBeforeKill + i - 1]!.at);
    const figures = {
      recordedAt: new Date().toISOString(),
      cluster: "3 host nodes (scripts/kafka-host.sh, combined broker+controller), RF 3, min ISR 2",
      clusterStartMs: startMs,
      killed: { node: victim, newLeader: failover.get(0)!.leader },
      killToNewLeaderMs: ms(killedAt, newLeaderAt),
      longestGapBetweenAcksAfterKillMs: Math.max(0, ...gapsAfterKill),
      acked: acked.length,
      ackedBeforeKill,
      restartUntilServingMs: ms(restartedAt, servingAt),
      restartUntilInIsrMs: ms(restartedAt, rejoinedAt),
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
  });
});

/** Maps (and errors) print as something in a timeout message. */
function replacer(_key: string, value: unknown) {
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Error) return value.message;
  return value;
}
