import { getContainerRuntimeClient } from "testcontainers";
import { BrokerUnavailableError } from "../../../platform/broker/errors";
import { startBroker } from "../../../platform/broker/start-broker";
import { HostKafkaBroker } from "../../../platform/broker/host-broker";

// The chooser asks testcontainers whether a Docker engine answers; testcontainers reads the
// process's DOCKER_HOST and also tries /var/run/docker.sock, so "no Docker" is its answer mocked.
jest.mock("testcontainers", () => ({ ...jest.requireActual("testcontainers"), getContainerRuntimeClient: jest.fn() }));
// No test here may start a real broker: a fall-through to the host path fails loudly instead.
jest.mock("../../../platform/broker/host-broker", () => ({
  HostKafkaBroker: jest.fn(() => ({ start: () => Promise.reject(new Error("the host broker must not start in this test")) })),
}));

const dockerProbe = jest.mocked(getContainerRuntimeClient);
const HOW_TO_GET_ONE = [
  "Get a broker in one of these ways:",
  "  - point KAFKA_BROKERS at a running broker (host:port[,host:port]);",
  "  - start a Docker engine (scripts/docker-engine.sh installs and starts one) so testcontainers can run Kafka;",
  "  - install Java 17+ and Maven (apt-get install openjdk-17-jre-headless maven) so scripts/kafka-host.sh can fetch and run the Kafka jars.",
].join("\n");

/** Starts with `env` only; resolves with the error and the lines logged. */
async function failedStart(env: NodeJS.ProcessEnv) {
  const log = jest.fn();
  const error = await startBroker({ env, log, readyRetries: 0 }).then(
    (broker) => {
      throw new Error(`expected no broker, got ${broker.description}`);
    },
    (e: unknown) => e as Error,
  );
  return { error, logged: log.mock.calls.map(([line]) => line as string) };
}

describe("startBroker, when no broker can be had", () => {
  beforeEach(() => {
    dockerProbe.mockReset().mockRejectedValue(new Error("Could not find a working container runtime strategy"));
    jest.mocked(HostKafkaBroker).mockClear();
  });

  it.each([
    ["set", { KAFKA_BROKERS: "127.0.0.1:1" }],
    ["forced with ENSEMBLE_BROKER=env", { KAFKA_BROKERS: "127.0.0.1:1", ENSEMBLE_BROKER: "env" }],
  ])("reports an unreachable KAFKA_BROKERS (%s) by name and does not fall through", async (_label, env) => {
    // Prepare: Java would be found on this PATH, so a fall-through would reach the host path
    const started = Date.now();

    // Act
    const { error, logged } = await failedStart({ ...env, PATH: process.env.PATH });

    // Assess
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error.message).toMatch(/^No Kafka broker answers at 127\.0\.0\.1:1 \(KAFKA_BROKERS=127\.0\.0\.1:1\): .*ECONNREFUSED/);
    expect(dockerProbe).not.toHaveBeenCalled();
    expect(HostKafkaBroker).not.toHaveBeenCalled();
    expect(logged).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("refuses an ENSEMBLE_BROKER that is not a path, naming the ones that are", async () => {
    const { error } = await failedStart({ ENSEMBLE_BROKER: "bogus", KAFKA_BROKERS: "127.0.0.1:1" });

    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error.message).toBe('ENSEMBLE_BROKER="bogus" is not a broker path; use one of env, testcontainers, host, or unset it.');
    expect(dockerProbe).not.toHaveBeenCalled();
  });

  it("refuses ENSEMBLE_BROKER=env without KAFKA_BROKERS, saying how to get a broker", async () => {
    const { error } = await failedStart({ ENSEMBLE_BROKER: "env", PATH: process.env.PATH });

    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error.message).toBe(`ENSEMBLE_BROKER=env but KAFKA_BROKERS is not set.\n${HOW_TO_GET_ONE}`);
    expect(dockerProbe).not.toHaveBeenCalled();
    expect(HostKafkaBroker).not.toHaveBeenCalled();
  });

  it("refuses ENSEMBLE_BROKER=testcontainers without a Docker engine, with the engine's reason", async () => {
    const { error } = await failedStart({ ENSEMBLE_BROKER: "testcontainers", PATH: process.env.PATH });

    expect(error.message).toBe(
      `ENSEMBLE_BROKER=testcontainers but no Docker engine answers: Could not find a working container runtime strategy\n${HOW_TO_GET_ONE}`,
    );
    expect(HostKafkaBroker).not.toHaveBeenCalled();
  });

  it("lists the three ways to get a broker when there is no KAFKA_BROKERS, no Docker and no java on PATH", async () => {
    const { error, logged } = await failedStart({ PATH: "/nonexistent" });

    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error.message).toBe(
      "No Kafka broker: KAFKA_BROKERS is not set, no Docker engine answers, and Java is not available " +
        `(java -version failed: spawn java ENOENT).\n${HOW_TO_GET_ONE}`,
    );
    expect(dockerProbe).toHaveBeenCalledTimes(1);
    expect(logged).toEqual([]);
  });

  it("looks for Java in the JAVA_HOME of the env it is given, not this process's", async () => {
    // Prepare: java is on this PATH, but the given JAVA_HOME points nowhere
    const { error } = await failedStart({ PATH: process.env.PATH, JAVA_HOME: "/nonexistent/jdk" });

    expect(error.message).toContain("Java is not available (/nonexistent/jdk/bin/java -version failed: spawn /nonexistent/jdk/bin/java ENOENT)");
    expect(error.message).toContain(HOW_TO_GET_ONE);
    expect(HostKafkaBroker).not.toHaveBeenCalled();
  });
});
