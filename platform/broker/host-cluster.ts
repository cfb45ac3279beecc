import { randomBytes, randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { waitUntilAnswering } from "./start-broker";
import { HostKafkaError } from "./errors";
import { runKafkaHost, startWithKafkaHost } from "./host-broker";

/** What every start of the cluster must repeat: its id and each node's ports. */
interface ClusterLayout {
  readonly clusterId: string;
  readonly nodes: readonly NodeLayout[];
}

/** `port` is the clients'; `controllerPort` is named in every node's `controller.quorum.voters`. */
interface NodeLayout {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
}

/** Kept in the state dir, so a kept dir starts the same cluster again. */
const LAYOUT_FILE = "cluster.json";
/** Each node is a JVM with up to 512 MB of heap. */
const MAX_NODES = 9;

/**
 * A KRaft cluster of combined broker+controller nodes run from the Apache Kafka jars on this host
 * (no container), one `scripts/kafka-host.sh start` per node, for tests that kill a broker:
 * replication factor 3, min ISR 2, no topic auto-creation, no unclean leader election.
 *
 * @example
 * const cluster = await new HostKafkaCluster().start();
 * await cluster.kill(2, "SIGKILL"); // a crash: kill -9 of node 2's JVM
 * await cluster.restart(2);         // same ports, same data
 * await cluster.stop();
 */
export class HostKafkaCluster {
  private nodes = 3;
  private stateDir: string | undefined;
  private env: NodeJS.ProcessEnv = process.env;

  /** How many nodes; each is a broker and a controller voter, so a majority must run. @default 3 */
  withNodes(count: number): this {
    if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
      throw new HostKafkaError(`A host cluster has 1 to ${MAX_NODES} nodes, not ${count}; pass withNodes(3) for one that survives a dead node.`);
    }
    this.nodes = count;
    return this;
  }

  /**
   * Keeps each node's data in `dir/node-<id>` and the cluster's id and ports in `dir/cluster.json`,
   * which `stop()` then leaves in place: starting again on the same dir brings back the same
   * cluster on the same ports. @default a fresh temp dir, deleted by `stop()`
   */
  withStateDir(dir: string): this {
    this.stateDir = dir;
    return this;
  }

  /** The script's environment (its `JAVA_HOME` and `PATH` pick the Java). @default process.env */
  withEnv(env: NodeJS.ProcessEnv): this {
    this.env = env;
    return this;
  }

  /** Starts every node and resolves once each serves requests and the group coordinator answers. */
  async start(): Promise<StartedHostKafkaCluster> {
    const owned = this.stateDir === undefined;
    const stateDir = path.resolve(this.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-cluster-")));
    fs.mkdirSync(stateDir, { recursive: true });
    const layout = await this.layout(stateDir).catch((error: unknown) => {
      if (owned) fs.rmSync(stateDir, { recursive: true, force: true });
      throw error;
    });
    const cluster = new StartedHostKafkaCluster(stateDir, layout, this.env, owned);
    try {
      // All at once: a node only becomes ready when a majority of the voters runs. Settled, not
      // all: cleaning up while a sibling is still starting could miss its JVM.
      const starts = await Promise.allSettled(cluster.nodeIds.map((id) => cluster.restart(id)));
      const failed = starts.find((start) => start.status === "rejected");
      if (failed) throw failed.reason;
      // Makes __consumer_offsets now, while every node runs: with replication factor 3 it could
      // not be created once one is down, and no consumer group could form.
      await waitUntilAnswering(cluster.brokers, `host cluster (${stateDir})`);
      return cluster;
    } catch (error) {
      await cluster.stop().catch(() => undefined); // the start's error is the one worth reporting
      throw error;
    }
  }

  private async layout(stateDir: string): Promise<ClusterLayout> {
    const file = path.join(stateDir, LAYOUT_FILE);
    if (fs.existsSync(file)) {
      const kept = JSON.parse(fs.readFileSync(file, "utf8")) as ClusterLayout;
      if (kept.nodes.length === this.nodes) return kept;
      throw new HostKafkaError(`${stateDir} holds a ${kept.nodes.length}-node cluster, not ${this.nodes}; use withNodes(${kept.nodes.length}), or another state dir.`);
    }
    const ports = await freePorts(2 * this.nodes);
    const nodes = Array.from({ length: this.nodes }, (_, i) => ({ id: i + 1, port: ports[2 * i]!, controllerPort: ports[2 * i + 1]! }));
    const layout = { clusterId: newClusterId(), nodes };
    fs.writeFileSync(file, `${JSON.stringify(layout, null, 2)}\n`);
    return layout;
  }
}

export class StartedHostKafkaCluster {
  constructor(
    /** Holds `cluster.json` and one `node-<id>` dir per node (data, config, pid, `server.log`). */
    readonly stateDir: string,
    private readonly layout: ClusterLayout,
    private readonly env: NodeJS.ProcessEnv,
    /** The dir was made by `start()`, so `stop()` deletes it. */
    private readonly ownsStateDir: boolean,
  ) {}

  /** Every node's `host:port`, comma-separated. */
  getBootstrapServers(): string {
    return this.brokers.join(",");
  }

  /** Every node's `host:port`, for kafkajs' `brokers`; the same before and after a restart. */
  get brokers(): string[] {
    return this.layout.nodes.map((node) => `localhost:${node.port}`);
  }

  /** The nodes' ids (1..n), as Kafka reports them, e.g. as a partition's leader. */
  get nodeIds(): number[] {
    return this.layout.nodes.map((node) => node.id);
  }

  logFile(nodeId: number): string {
    return path.join(this.nodeDir(nodeId), "server.log");
  }

  /**
   * Sends `signal` to the node's JVM and resolves once it is gone; its data stays. SIGKILL is
   * `kill -9`, a crash with no clean shutdown; SIGTERM is a clean shutdown.
   */
  async kill(nodeId: number, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    await runKafkaHost(["kill", "--state-dir", this.nodeDir(nodeId), "--signal", signal], this.env, `send ${signal} to node ${nodeId}`);
  }

  /**
   * Starts a killed node again on the same ports with the same data; resolves once it serves
   * requests (it has caught up with the metadata and been unfenced). A node that runs is left as is.
   */
  async restart(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    const voters = this.layout.nodes.map((n) => `${n.id}@localhost:${n.controllerPort}`).join(",");
    const args = ["start", "--node-id", String(node.id), "--cluster-id", this.layout.clusterId, "--voters", voters];
    await startWithKafkaHost([...args, "--port", String(node.port), "--state-dir", this.nodeDir(nodeId)], this.env, `start node ${nodeId}`);
  }

  /** Stops every node (SIGTERM, then SIGKILL after 30 s); deletes the state dir unless the caller chose it. */
  async stop(): Promise<void> {
    const stops = await Promise.allSettled(
      this.nodeIds.map((id) => runKafkaHost(["stop", "--state-dir", this.nodeDir(id)], this.env, `stop node ${id}`)),
    );
    const failed = stops.find((stop) => stop.status === "rejected");
    // A node that may still run keeps its dir: deleting data under a live JVM only hides the problem.
    if (failed) throw failed.reason;
    if (this.ownsStateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }

  private node(nodeId: number): NodeLayout {
    const node = this.layout.nodes.find((n) => n.id === nodeId);
    if (!node) throw new HostKafkaError(`No node ${nodeId} in the host cluster at ${this.stateDir}; its nodes are ${this.nodeIds.join(", ")}.`);
    return node;
  }

  private nodeDir(nodeId: number): string {
    return path.join(this.stateDir, `node-${this.node(nodeId).id}`);
  }
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64, never starting with '-' (the storage tool would read an option). */
function newClusterId(): string {
  let id = "-";
  while (id.startsWith("-")) id = randomBytes(16).toString("base64url");
  return id;
}

/**
 * `count` distinct ports nobody listens on, from kafka-host.sh's range (20000-31999): below the
 * kernel's ephemeral range, so no outgoing connection holds the port a killed node comes back on.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt >= 100 * count) throw new HostKafkaError(`Could not find ${count} free TCP ports in 20000-31999; free some ports and retry.`);
    const port = randomInt(20_000, 32_000);
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}
