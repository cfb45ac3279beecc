import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { KafkaContainer } from "@testcontainers/kafka";
import { Kafka, logLevel } from "kafkajs";
import { getContainerRuntimeClient, Wait } from "testcontainers";
import { BrokerUnavailableError } from "./errors";
import { HostKafkaBroker } from "./host-broker";
import { kafkaVersions } from "./kafka-versions";

/** How the broker was obtained, in the order they are tried. */
export const BrokerPath = {
  /** `KAFKA_BROKERS` names a broker someone else runs. */
  Env: "env",
  /** A testcontainers `KafkaContainer`, when a Docker engine answers. */
  Testcontainers: "testcontainers",
  /** The Apache Kafka jars run on this host by `scripts/kafka-host.sh`, when Java is there. */
  Host: "host",
} as const;
export type BrokerPath = (typeof BrokerPath)[keyof typeof BrokerPath];

export interface Broker {
  readonly path: BrokerPath;
  /** `host:port` list for kafkajs' `brokers`. */
  readonly brokers: string[];
  /** One line saying what runs the broker, for logs. */
  readonly description: string;
  readonly readyInMs: number;
  /** Stops what this module started; a no-op for `KAFKA_BROKERS`. */
  stop(): Promise<void>;
}

export interface StartBrokerOptions {
  /** Where `KAFKA_BROKERS`, `KAFKA_IMAGE` and `ENSEMBLE_BROKER` are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the line saying which path was taken. @default a line on stderr */
  readonly log?: (line: string) => void;
  /**
   * How many times (at least 1) a broker that does not answer yet is asked again, with backoff
   * up to 5 s. @default 8 (about 25 s before a dead KAFKA_BROKERS is reported)
   */
  readonly readyRetries?: number;
}

const DEFAULT_READY_RETRIES = 8;

const HOW_TO_GET_ONE = [
  "Get a broker in one of these ways:",
  "  - point KAFKA_BROKERS at a running broker (host:port[,host:port]);",
  "  - start a Docker engine (scripts/docker-engine.sh installs and starts one) so testcontainers can run Kafka;",
  "  - install Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven) so scripts/kafka-host.sh can fetch and run the Kafka jars.",
].join("\n");

/**
 * Gets a real Kafka broker: `KAFKA_BROKERS` if set; else a testcontainers `KafkaContainer`
 * when a Docker engine answers (image `KAFKA_IMAGE`, default the official Confluent image);
 * else a broker from the Kafka jars on this host when Java is there; else it throws
 * `BrokerUnavailableError`. `ENSEMBLE_BROKER=env|testcontainers|host` forces one path and
 * fails rather than falling through. Resolves once the broker answers a metadata request.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<Broker> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const forced = parseForced(env.ENSEMBLE_BROKER);

  const broker = await choose(env, forced, log, options.readyRetries ?? DEFAULT_READY_RETRIES);
  log(`[ensemble] broker path: ${broker.path} — ${broker.description}, ready in ${(broker.readyInMs / 1000).toFixed(1)} s`);
  return broker;
}

async function choose(env: NodeJS.ProcessEnv, forced: BrokerPath | undefined, log: (line: string) => void, retries: number) {
  if (forced === BrokerPath.Env || (!forced && env.KAFKA_BROKERS)) {
    if (!env.KAFKA_BROKERS) throw new BrokerUnavailableError(`ENSEMBLE_BROKER=env but KAFKA_BROKERS is not set.\n${HOW_TO_GET_ONE}`);
    // No fall-through: a named broker that is down is a mistake to report, not to work around.
    return fromEnv(env.KAFKA_BROKERS, retries);
  }

  if (!forced || forced === BrokerPath.Testcontainers) {
    const engine = await dockerEngine();
    if (engine.ok) {
      try {
        return await fromTestcontainers(env, retries);
      } catch (error) {
        // An unpullable default image (no registry) may fall through; an image the user chose may not.
        if (forced || env.KAFKA_IMAGE) throw error;
        log(`[ensemble] ${firstLine(error)} Trying the host broker.`);
      }
    } else if (forced) {
      throw new BrokerUnavailableError(`ENSEMBLE_BROKER=testcontainers but no Docker engine answers: ${engine.reason}\n${HOW_TO_GET_ONE}`);
    }
  }

  const java = await javaVersion(env);
  if (java.ok) return fromHost(env, retries);
  throw new BrokerUnavailableError(
    `No Kafka broker: KAFKA_BROKERS is not set, no Docker engine answers, and Java is not available (${java.reason}).\n${HOW_TO_GET_ONE}`,
  );
}

async function fromEnv(list: string, retries: number): Promise<Broker> {
  const started = Date.now();
  const brokers = list.split(",").map((b) => b.trim()).filter(Boolean);
  await waitUntilAnswering(brokers, `KAFKA_BROKERS=${list}`, retries);
  return { path: BrokerPath.Env, brokers, description: `KAFKA_BROKERS=${list}`, readyInMs: Date.now() - started, stop: async () => {} };
}

async function fromTestcontainers(env: NodeJS.ProcessEnv, retries: number): Promise<Broker> {
  const started = Date.now();
  const versions = kafkaVersions();
  const image = env.KAFKA_IMAGE || versions.DEFAULT_KAFKA_IMAGE;
  let container;
  try {
    // @testcontainers/kafka 12 resolves start() on its own placeholder log line, before Kafka
    // listens; wait for the broker's own "started" line instead.
    container = await new KafkaContainer(image).withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)).start();
  } catch (error) {
    const hint = /ryuk/i.test(String(error))
      ? " Where the testcontainers reaper image cannot be pulled, set TESTCONTAINERS_RYUK_DISABLED=true."
      : image === versions.DEFAULT_KAFKA_IMAGE
        ? ` Without access to Docker Hub, build a local image with scripts/kafka-image.sh and set KAFKA_IMAGE=${versions.LOCAL_KAFKA_IMAGE}.`
        : "";
    throw new BrokerUnavailableError(`testcontainers could not start Kafka image ${image} (${firstLine(error)}).${hint}`, {
      cause: error,
    });
  }
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  try {
    await waitUntilAnswering(brokers, `container ${image}`, retries);
  } catch (error) {
    await container.stop();
    throw error;
  }
  return {
    path: BrokerPath.Testcontainers,
    brokers,
    description: `KafkaContainer ${image} at ${brokers[0]}`,
    readyInMs: Date.now() - started,
    stop: async () => {
      await container.stop();
    },
  };
}

async function fromHost(env: NodeJS.ProcessEnv, retries: number): Promise<Broker> {
  const started = Date.now();
  const host = await new HostKafkaBroker().withEnv(env).start();
  const brokers = [host.getBootstrapServers()];
  try {
    await waitUntilAnswering(brokers, `host broker (log: ${host.logFile})`, retries);
  } catch (error) {
    await host.stop();
    throw error;
  }
  return {
    path: BrokerPath.Host,
    brokers,
    description: `Apache Kafka ${kafkaVersions().KAFKA_VERSION} jars on this host at ${brokers[0]} (log: ${host.logFile})`,
    readyInMs: Date.now() - started,
    stop: () => host.stop(),
  };
}

/**
 * A broker is ready when it answers metadata and its group and transaction coordinators have
 * loaded, so the first consumer group or idempotent producer does not meet "coordinator is
 * loading". kafkajs' retry covers the last seconds of start-up.
 */
export async function waitUntilAnswering(brokers: string[], what: string, retries = DEFAULT_READY_RETRIES): Promise<void> {
  const kafka = new Kafka({
    clientId: "ensemble-broker-probe",
    brokers,
    logLevel: logLevel.NOTHING,
    // At least one: kafkajs refuses an idempotent producer that may not retry.
    retry: { retries: Math.max(retries, 1), initialRetryTime: 250, maxRetryTime: 5_000 },
  });
  const admin = kafka.admin();
  // Connecting an idempotent producer asks the transaction coordinator for a producer id.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeCluster();
    await admin.describeGroups(["ensemble-broker-probe"]);
    await producer.connect();
  } catch (error) {
    throw new BrokerUnavailableError(`No Kafka broker answers at ${brokers.join(",")} (${what}): ${firstLine(error)}`, {
      cause: error,
    });
  } finally {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
}

type Probe = { ok: true } | { ok: false; reason: string };

async function dockerEngine(): Promise<Probe> {
  try {
    await getContainerRuntimeClient();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
}

/** Whether Java runs as `env` (the one startBroker was given) finds it: JAVA_HOME, else its PATH. */
async function javaVersion(env: NodeJS.ProcessEnv): Promise<Probe> {
  const java = env.JAVA_HOME ? `${env.JAVA_HOME}/bin/java` : "java";
  try {
    // With `env`, a bare "java" is looked up on env.PATH, not this process's PATH.
    await promisify(execFile)(java, ["-version"], { env });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `${java} -version failed: ${firstLine(error)}` };
  }
}

function parseForced(value: string | undefined): BrokerPath | undefined {
  if (!value) return undefined;
  const paths = Object.values(BrokerPath) as string[];
  if (paths.includes(value)) return value as BrokerPath;
  throw new BrokerUnavailableError(`ENSEMBLE_BROKER="${value}" is not a broker path; use one of ${paths.join(", ")}, or unset it.`);
}

function firstLine(error: unknown): string {
  // Duck-typed: errors from another realm (a child process's, under jest) fail `instanceof Error`.
  const message = (error as { message?: unknown } | null)?.message;
  return ((typeof message === "string" ? message : String(error)).split("\n")[0] ?? "").replace(/[\s.]+$/, "");
}
