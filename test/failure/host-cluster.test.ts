/*
 * Injected: on a 3-node KRaft cluster (topics with replication factor 3, min.insync.replicas 2),
 * the JVM of the leader of partition 0 of orders.events is SIGKILLed (kill -9, no clean shutdown)
 * while milestones stream through Ensemble's real parts: the real MilestonePublisher (idempotent,
 * acks=all, the runtime's client settings) publishing without pause and retrying a failed
 * publish as the orders workflow's milestone Retry does; three consumer groups with their real
 * settings (notify-customer, analytics, the slow audit-archive) reading through emulated event
 * source mappings and the real consume() wrapper, once per reading of partial batch responses,
 * side by side. Once the stream has drained, the node is started again on its ports with its data.
 *
 * Observed, under each reading: partition 0's leadership moved to one of the two other nodes and
 * publishes went on (those to partition 0 included) after the kill; no milestone was given up on;
 * every published event reached every group and had its effect exactly once (counted per handler
 * run, before any deduplication); nothing reached a dead-letter topic; every group is current
 * again; the restarted node rejoined the ISR of every partition. The figures (failover, publish
 * attempts the broker refused, redeliveries, rejoin) go to test-results/failure-host-cluster.json.
 */
import { type Admin, ConfigResourceTypes } from "kafkajs";
import analytics from "../../consumers/analytics/consumer";
import auditArchive from "../../consumers/audit-archive/consumer";
import { ARCHIVE_DELAY_MS } from "../../consumers/audit-archive/handler";
import notifyCustomer from "../../consumers/notify-customer/consumer";
import { PartialBatchReading } from "../../platform/local/event-source-mapping";
import { HostKafkaCluster, type StartedHostKafkaCluster } from "../../platform/broker/host-cluster";
import { ensureTopics } from "../../platform/local/topics";
import { names } from "../../platform/model";
import { recordCount } from "../support/runtime";
import { Signal } from "../support/wait";
import { failureTestKafka, runId } from "./support/broker";
import { eventually, tally } from "./support/effects";
import { FigureFile } from "./support/figures";
import { CountedGroup, MilestoneStream } from "./support/stream";

jest.setTimeout(180_000);

const TOPIC = names.contextTopic("orders");
/** The stack's function timeout: each invocation's Lambda deadline, and so the mappings' session timeout. */
const FUNCTION_TIMEOUT_SECONDS = 3;
/** Milestones a second. */
const RATE = 15;
const CONSUMERS = [notifyCustomer, analytics, auditArchive];
const READINGS = Object.values(PartialBatchReading);

describe("a 3-node host cluster losing the leader of a busy partition to SIGKILL", () => {
  const signal = new Signal();
  const figures = new FigureFile("host-cluster", {
    injected: "SIGKILL of the leader of partition 0 of orders.events on a 3-node KRaft cluster (RF 3, min ISR 2) mid-stream",
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    rate: RATE,
  });
  let cluster: StartedHostKafkaCluster;
  let admin: Admin;
  let stream: MilestoneStream | undefined;
  const groups: CountedGroup[] = [];
  let startMs: number;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await new HostKafkaCluster().withNodes(3).start();
    startMs = Date.now() - started;
    admin = failureTestKafka(cluster.brokers, "cluster-admin").admin();
    await admin.connect();
    // As the local runtime creates them: replicas and min ISR come from the cluster's defaults.
    await ensureTopics(admin, [
      { name: TOPIC, purpose: "events", owner: "orders" },
      ...CONSUMERS.map((c) => ({ name: names.deadLetterTopic(c.name), purpose: "dead-letter" as const, owner: c.name })),
    ]);
  });

  afterAll(async () => {
    await stream?.stop();
    await Promise.all(groups.map((group) => group.stop()));
    await admin?.disconnect();
    // Its data is deleted next: a crash is as good a stop as a clean one, and takes no time.
    await Promise.allSettled((cluster?.nodeIds ?? []).map((id) => cluster.kill(id, "SIGKILL")));
    await cluster?.stop();
  });

  /** Partition → its leader, replicas and ISR, as the cluster reports them now. */
  async function partitions() {
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return new Map(topics[0]!.partitions.map((p) => [p.partitionId, { leader: p.leader, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() }]));
  }

  it("keeps publishing through the failover, loses and repeats no effect under both readings, and takes the node back", async () => {
    // Prepare: the topic is replicated on every node, and writes need two in sync
    const layout = await partitions();
    expect([...layout.values()].map((p) => p.replicas)).toEqual(Array(layout.size).fill(cluster.nodeIds));
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configNames: ["min.insync.replicas"] }] });
    expect(resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue])).toEqual([["min.insync.replicas", "2"]]);

    // ...per reading, the three groups (a stack of their own), then the stream
    const run = runId();
    const kafka = failureTestKafka(cluster.brokers, "cluster");
    for (const reading of READINGS) {
      for (const consumer of CONSUMERS) {
        groups.push(
          new CountedGroup({
            kafka,
            consumer,
            stack: `cluster-${run}-${reading === PartialBatchReading.FailedRecordsOnly ? "fro" : "cal"}`,
            partialBatchReading: reading,
            functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
            signal,
            effectMs: consumer === auditArchive ? ARCHIVE_DELAY_MS : 0,
          }),
        );
      }
    }
    await Promise.all(groups.map((group) => group.start()));
    stream = new MilestoneStream({ kafka, prefix: `cluster-${run}`, rate: RATE, signal });
    stream.start();
    const publishedTo = (partition: number, after: number) => stream!.published.filter((p) => p.partition === partition && p.at > after).length;

    // Act: SIGKILL the leader of partition 0 once every group is busy with the stream
    await signal.until(() => groups.every((group) => group.effects.length >= 20) && publishedTo(0, 0) >= 10, "every group to make 20 effects", 60_000);
    const victim = (await partitions()).get(0)!.leader;
    const survivors = cluster.nodeIds.filter((id) => id !== victim);
    const killedAt = Date.now();
    const publishedBeforeKill = stream.published.length;
    await cluster.kill(victim, "SIGKILL");

    // Assess: partition 0 gets a new leader among the two others, and milestones go on being published to it
    const failover = await eventually(partitions, (p) => survivors.includes(p.get(0)?.leader ?? -1), `a new leader of partition 0 among nodes ${survivors.join(", ")}`);
    const newLeaderAt = Date.now();
    await signal.until(() => publishedTo(0, newLeaderAt) >= 10, "10 milestones published to partition 0 after the new leader", 60_000, () => ({
      published: stream!.published.length,
      failedAttempts: stream!.failedAttempts.length,
    }));
    await stream.stop();
    const published = stream.published.map((p) => p.eventId);
    await signal.until(() => groups.every((group) => group.hasEffectsFor(published)), "every group to have an effect for every published event", 90_000, () =>
      groups.flatMap((g) => g.missing(stream!.published)).slice(0, 20),
    );
    await eventually(() => Promise.all(groups.map((group) => group.lag())), (lags) => lags.every((lag) => lag === 0), "every group to commit to the end", 60_000);
    expect(failover.get(0)!.isr).not.toContain(victim);
    expect(stream.abandoned).toEqual([]);
    expect(new Set(published).size).toBe(published.length);
    expect(stream.published.filter((p) => p.at > killedAt).length).toBeGreaterThan(0);

    // Assess: under each reading, every published event reached every group and had its effect exactly once; nothing given up on
    for (const group of groups) {
      const id = `${group.groupId} (${group.reading})`;
      expect({ id, effects: tally(group.effects.map((e) => e.id)) }).toEqual({ id, effects: { ids: [...published].sort(), repeated: [] } });
      expect({ id, delivered: [...new Set(group.deliveries.map((d) => d.id))].sort() }).toEqual({ id, delivered: [...published].sort() });
      expect({ id, onFailure: group.onFailure, deadLettered: group.stats.deadLettered }).toEqual({ id, onFailure: 0, deadLettered: 0 });
    }
    for (const consumer of CONSUMERS) expect({ dlq: consumer.name, records: await recordCount(admin, names.deadLetterTopic(consumer.name)) }).toEqual({ dlq: consumer.name, records: 0 });
    // ...and each event is on the topic once: a retried publish looked for its earlier attempt's record first
    const recordsOnTopic = await recordCount(admin, TOPIC);
    expect(recordsOnTopic).toBe(published.length);

    // Act: start the killed node again on its ports with its data
    const restartedAt = Date.now();
    await cluster.restart(victim);
    const servingAt = Date.now();

    // Assess: it rejoins the ISR of every partition
    const rejoined = await eventually(partitions, (p) => [...p.values()].every((x) => x.isr.includes(victim)), `node ${victim} to rejoin every ISR`);
    const rejoinedAt = Date.now();
    expect([...rejoined.values()].map((p) => p.isr)).toEqual(Array(rejoined.size).fill(cluster.nodeIds));

    // Record the figures
    const afterKill = stream.published.filter((p) => p.at > killedAt);
    const toPartition0 = stream.published.filter((p) => p.partition === 0).map((p) => p.at).sort((a, b) => a - b);
    figures.set("cluster", {
      nodes: cluster.nodeIds.length,
      clusterStartMs: startMs,
      killed: { node: victim, newLeader: failover.get(0)!.leader },
      killToNewLeaderMs: newLeaderAt - killedAt,
      longestGapBetweenPublishesToPartition0Ms: Math.max(0, ...toPartition0.slice(1).map((at, i) => at - toPartition0[i]!)),
      published: published.length,
      publishedBeforeKill,
      publishedAfterKill: afterKill.length,
      publishAttemptsRefused: stream.failedAttempts.length,
      publishAttemptsRefusedAfterKill: stream.failedAttempts.filter((f) => f.at > killedAt).length,
      recordsOnTopic,
      restartUntilServingMs: servingAt - restartedAt,
      restartUntilInIsrMs: rejoinedAt - restartedAt,
    });
    for (const reading of READINGS) {
      figures.set(reading, Object.fromEntries(groups.filter((g) => g.reading === reading).map((group) => [group.name, group.figures(published)])));
    }
  });
});
