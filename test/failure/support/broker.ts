import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { waitUntilAnswering } from "../../../platform/local/broker";
import { HostKafkaBroker, type StartedHostKafkaBroker } from "../../../platform/local/host-broker";

/**
 * A host broker one failure test owns: its data in a state dir of its own and, once started, a
 * fixed port, so the test can stop it and start it again as the same broker (same topics,
 * records, committed offsets and producer state) at the same address its clients know.
 *
 * @example
 * const broker = await OwnedBroker.start("restart");
 * await broker.stop();      // clients now meet a closed port
 * await broker.restart();   // same port, same data
 * await broker.destroy();   // stopped and its data deleted
 */
export class OwnedBroker {
  private running: StartedHostKafkaBroker | undefined;

  private constructor(
    readonly stateDir: string,
    readonly port: number,
    started: StartedHostKafkaBroker,
  ) {
    this.running = started;
  }

  /** Starts a fresh broker on a free port (kept for every restart); resolves once its coordinators have loaded. */
  static async start(name: string): Promise<OwnedBroker> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `ensemble-failure-${name}-`));
    let started: StartedHostKafkaBroker | undefined;
    try {
      started = await new HostKafkaBroker().withStateDir(stateDir).start();
      await waitUntilAnswering([started.getBootstrapServers()], `failure-test broker (${stateDir})`);
      return new OwnedBroker(stateDir, started.port, started);
    } catch (error) {
      await started?.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** `host:port` for kafkajs' `brokers`; the same before and after a restart. */
  get brokers(): string[] {
    return [`localhost:${this.port}`];
  }

  /**
   * A client of this broker, quiet (the tests provoke errors). Its retries back off to at most
   * 2 s instead of kafkajs' 30 s, so a consumer that crashed while the broker was away restarts
   * within seconds of its return: recovery is measured, not kafkajs' backoff.
   */
  kafka(clientId: string): Kafka {
    return new Kafka({ clientId, brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 5 } });
  }

  /** A clean shutdown (SIGTERM); the data stays. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }

  /** Starts it again on the same port with the same data; resolves once its coordinators have loaded. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`The broker on port ${this.port} is already running.`);
    this.running = await new HostKafkaBroker().withPort(this.port).withStateDir(this.stateDir).start();
    await waitUntilAnswering(this.brokers, `failure-test broker (${this.stateDir})`);
  }

  /** Stops it if it runs and deletes its data. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
  }
}

/** A short random id that keeps one run's names (stacks, groups, order ids) apart from another's. */
export const runId = () => randomUUID().slice(0, 6);
