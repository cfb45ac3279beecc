import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { HostKafkaError } from "./errors";
import { SCRIPTS_DIR } from "./kafka-versions";

const run = promisify(execFile);
const SCRIPT = path.join(SCRIPTS_DIR, "kafka-host.sh");

/**
 * A single-node KRaft broker run from the Apache Kafka jars on this host (no container),
 * through `scripts/kafka-host.sh`. Needs only Java; fetches the jars on first use.
 */
export class HostKafkaBroker {
  private port: number | "auto" = "auto";
  private stateDir: string | undefined;
  private env: NodeJS.ProcessEnv = process.env;

  /** A fixed port instead of a free one. */
  withPort(port: number): this {
    this.port = port;
    return this;
  }

  /**
   * Keeps the broker's data (and its controller port) in `dir`, which `stop()` then leaves in
   * place: starting again on the same dir and port brings back the same broker, topics, records
   * and committed offsets. @default a fresh temp dir, deleted by `stop()`
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

  async start(): Promise<StartedHostKafkaBroker> {
    const owned = this.stateDir === undefined;
    const stateDir = this.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-kafka-"));
    try {
      const args = ["start", "--port", String(this.port), "--state-dir", stateDir];
      const bootstrapServers = await startWithKafkaHost(args, this.env, "start a broker");
      return new StartedHostKafkaBroker(bootstrapServers, stateDir, owned);
    } catch (error) {
      if (owned) fs.rmSync(stateDir, { recursive: true, force: true });
      throw error;
    }
  }
}

export class StartedHostKafkaBroker {
  constructor(
    private readonly bootstrapServers: string,
    /** Holds the data, config, pid and `server.log`. */
    readonly stateDir: string,
    /** The dir was made by `start()`, so `stop()` deletes it. */
    private readonly ownsStateDir = true,
  ) {}

  getBootstrapServers(): string {
    return this.bootstrapServers;
  }

  get logFile(): string {
    return path.join(this.stateDir, "server.log");
  }

  /** The port clients connect to, e.g. to start the broker again on it. */
  get port(): number {
    return Number(this.bootstrapServers.slice(this.bootstrapServers.lastIndexOf(":") + 1));
  }

  /** Stops the broker (SIGTERM, a clean shutdown); deletes its state dir unless the caller chose it. */
  async stop(): Promise<void> {
    await runKafkaHost(["stop", "--state-dir", this.stateDir], process.env, "stop the broker");
    if (this.ownsStateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * Runs `scripts/kafka-host.sh ...args` and resolves its stdout. A failure becomes a
 * `HostKafkaError` saying it could not `what`, followed by the last lines of the script's stderr.
 */
export async function runKafkaHost(args: readonly string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  try {
    const { stdout } = await run("bash", [SCRIPT, ...args], { maxBuffer: 16 * 1024 * 1024, env });
    return stdout;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split("\n").slice(-15).join("\n");
    throw new HostKafkaError(`scripts/kafka-host.sh could not ${what}${detail ? `:\n${detail}` : ""}`, { cause: error });
  }
}

/** Runs a `start` of `scripts/kafka-host.sh` and resolves the `host:port` its last line announces. */
export async function startWithKafkaHost(args: readonly string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  const line = (await runKafkaHost(args, env, what)).trim().split("\n").at(-1) ?? "";
  const match = /^KAFKA_BROKERS=(.+)$/.exec(line);
  if (!match?.[1]) throw new HostKafkaError(`scripts/kafka-host.sh could not ${what}: expected KAFKA_BROKERS=<host:port> as the last line, got "${line}"`);
  return match[1];
}
