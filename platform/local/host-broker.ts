import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { SCRIPTS_DIR } from "./kafka-env";

const run = promisify(execFile);
const SCRIPT = path.join(SCRIPTS_DIR, "kafka-host.sh");

/**
 * A single-node KRaft broker run from the Apache Kafka jars on this host (no container),
 * through `scripts/kafka-host.sh`. Needs only Java; fetches the jars on first use.
 */
export class HostKafkaBroker {
  private port: number | "auto" = "auto";

  /** A fixed port instead of a free one. */
  withPort(port: number): this {
    this.port = port;
    return this;
  }

  async start(): Promise<StartedHostKafkaBroker> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-kafka-"));
    try {
      const { stdout } = await run("bash", [SCRIPT, "start", "--port", String(this.port), "--state-dir", stateDir], {
        maxBuffer: 16 * 1024 * 1024,
      });
      const line = stdout.trim().split("\n").at(-1) ?? "";
      const match = /^KAFKA_BROKERS=(.+)$/.exec(line);
      if (!match?.[1]) throw new Error(`expected KAFKA_BROKERS=<host:port> as the last line, got "${line}"`);
      return new StartedHostKafkaBroker(match[1], stateDir);
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim().split("\n").slice(-15).join("\n");
      fs.rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`scripts/kafka-host.sh could not start a broker${detail ? `:\n${detail}` : ""}`, { cause: error });
    }
  }
}

export class StartedHostKafkaBroker {
  constructor(
    private readonly bootstrapServers: string,
    /** Holds the data, config, pid and `server.log`. */
    readonly stateDir: string,
  ) {}

  getBootstrapServers(): string {
    return this.bootstrapServers;
  }

  get logFile(): string {
    return path.join(this.stateDir, "server.log");
  }

  async stop(): Promise<void> {
    await run("bash", [SCRIPT, "stop", "--state-dir", this.stateDir]);
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
