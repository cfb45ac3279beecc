import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Consumer, type ConsumerConfig, Kafka, logLevel } from "kafkajs";
import { waitUntilAnswering } from "../../../platform/broker/start-broker";
import { HostKafkaBroker, runKafkaHost, type StartedHostKafkaBroker } from "../../../platform/broker/host-broker";
import { kafkaConfig } from "../../../platform/runtime/kafka";

/**
 * A host broker one failure test owns: its data in a state dir of its own and, once started, a
 * fixed port, so the test can stop it (or kill it) and start it again as the same broker (same
 * topics, records, committed offsets and producer state) at the same address its clients know.
 *
 * @example
 * const broker = await OwnedBroker.start("restart");
 * await broker.stop();            // a clean shutdown: clients now meet a closed port
 * await broker.kill("SIGKILL");   // or a crash: kill -9, no clean shutdown
 * await broker.restart();         // same port, same data
 * await broker.destroy();         // stopped and its data deleted
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

  /** A client of this broker with the runtime's own settings (see {@link failureTestKafka}). */
  kafka(clientId: string): ObservedKafka {
    return failureTestKafka(this.brokers, clientId);
  }

  /** A clean shutdown (SIGTERM); the data stays. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }

  /** Sends the broker's JVM `signal` and resolves once it is gone; SIGKILL is a crash (kill -9). The data stays. */
  async kill(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    if (!this.running) throw new Error(`The broker on port ${this.port} is not running.`);
    this.running = undefined;
    await runKafkaHost(["kill", "--state-dir", this.stateDir, "--signal", signal], process.env, `send ${signal} to the broker on port ${this.port}`);
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

/** A consumer that crashed; kafkajs restarts it (`restart`) from the group's committed offsets. */
export interface ConsumerCrash {
  readonly groupId: string;
  readonly restart: boolean;
  readonly error: string;
  readonly at: number;
}

/**
 * A kafkajs client that records every crash of the consumers it makes, for tests that must know
 * a consumer gave up its in-memory positions (after a crash kafkajs starts it again from the
 * committed offsets) while the code under test makes its consumers itself.
 */
export class ObservedKafka extends Kafka {
  readonly crashes: ConsumerCrash[] = [];
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` after each crash. */
  onCrash(listener: () => void): void {
    this.listeners.add(listener);
  }

  override consumer(config: ConsumerConfig): Consumer {
    const consumer = super.consumer(config);
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.crashes.push({ groupId: payload.groupId, restart: payload.restart, error: payload.error.message, at: Date.now() });
      for (const listener of this.listeners) listener();
    });
    return consumer;
  }
}

/**
 * A client with the settings every client of the runtime gets (`kafkaConfig`: its connection,
 * request and retry settings, `CLIENT_TIMEOUTS`), only quiet: the tests provoke the errors
 * kafkajs would log.
 */
export function failureTestKafka(brokers: readonly string[], clientId: string): ObservedKafka {
  return new ObservedKafka({ ...kafkaConfig({ brokers, auth: "none", clientId }), logLevel: logLevel.NOTHING });
}

/** A short random id that keeps one run's names (stacks, groups, order ids) apart from another's. */
export const runId = () => randomUUID().slice(0, 6);
