import { Command, Option } from "commander";
import { Kafka, logLevel } from "kafkajs";
import { demo, topology } from "../topology";
import { formatIssue, StartingPosition, TopologyError, validate } from "../platform/model";
import { KafkaAuth, kafkaConfig } from "../platform/runtime/kafka";
import { BrokerPath, startBroker } from "../platform/broker/start-broker";
import { runDemo, type Snapshot, takeSnapshot } from "../platform/local/demo";
import { LocalRuntime } from "../platform/local/runtime";
import { type LiveView, listen, serveLive } from "../platform/live-view";
import { LocalTraces, renderFlow } from "../platform/local/traces";
import { liveView, renderSummary } from "../platform/local/view";
import { stackConfigFor } from "./stack-file";
import { port, positiveInt } from "./options";

const program = new Command("npm start --")
  .description(
    "Runs the whole topology on one machine on a real Kafka broker: each context's state machine, each consumer group's handler behind an emulated MSK event source mapping. By default it plays the demo the topology declares and exits 0 only if every execution (those consumer groups start too) ended as expected, every milestone was published as often as the scenario calls for, and every subscribed group received each one with nothing dead-lettered.",
  )
  .option("--executions <n>", `${demo.executions} the demo starts`, positiveInt, 200)
  .option("--rate <n>", `${demo.executions} started per second`, positiveInt, 50)
  .option("--timeout <seconds>", "give up on the demo after this long", positiveInt, 300)
  .option("--keep", "keep running after the demo: the live view stays up and accepts new executions over HTTP (see --port)", false)
  .option(
    "--port <n>",
    "the live view's port (a page at /; POST /executions/<context> {name?, input} as application/json starts one; GET /status shows progress); 0 for any free port. If the default is taken, a free one is used",
    port,
    4040,
  )
  .option("--host <address>", "the address the live view listens on (0.0.0.0 for every interface, which also accepts requests addressed to any host name)", "127.0.0.1")
  .addOption(
    new Option("--broker <path>", "force how the broker is obtained (default: KAFKA_BROKERS, else testcontainers, else the host jars)").choices(Object.values(BrokerPath)),
  )
  .option("--stack <name>", "stack name in consumer group ids and state machine names; a stack with a Pulumi.<stack>.yaml brings its overrides", "local")
  .option("--partitions <n>", "partitions of each topic it creates (default: the stack's ensemble:kafka.partitions)", positiveInt)
  .addOption(
    new Option("--starting-position <position>", "where every group starts without committed offsets (default: each group's own); LATEST ignores what a reused broker already holds").choices(
      Object.values(StartingPosition),
    ),
  )
  .option("--trace <key>", "after the demo, show one business key's whole flow across contexts (e.g. an order id: demo-00000) as a tree of spans with timings")
  .addOption(new Option("--log-level <level>", "handlers' Powertools log level").choices(["SILENT", "ERROR", "WARN", "INFO", "DEBUG"]).default("SILENT"))
  .addHelpText(
    "after",
    "\nEnvironment: KAFKA_BROKERS (use this broker), KAFKA_IMAGE (testcontainers image), ENSEMBLE_BROKER (same as --broker).",
  );

interface Options {
  executions: number;
  rate: number;
  timeout: number;
  keep: boolean;
  port: number;
  host: string;
  broker?: BrokerPath;
  stack: string;
  partitions?: number;
  startingPosition?: StartingPosition;
  logLevel: string;
  trace?: string;
}

async function main(): Promise<void> {
  const options = program.parse().opts<Options>();
  process.env.POWERTOOLS_LOG_LEVEL = options.logLevel;
  const valid = validate(topology, { stack: options.stack });
  // Every span the platform makes (executions, publishes, records processed, completed waits), kept in memory.
  const traces = new LocalTraces();
  const config = stackConfigFor(options.stack, topology.consumers.map((c) => c.name), { required: false });
  // Bound before the broker starts, so a --port already taken fails at once; the default one falls back to a free port.
  const listener = await listen({ port: options.port, host: options.host, fallback: program.getOptionValueSource("port") === "default" });
  const broker = await startBroker({ env: options.broker ? { ...process.env, ENSEMBLE_BROKER: options.broker } : process.env }).catch((error: unknown) => {
    listener.server.close();
    throw error;
  });
  // The clients' production settings (timeouts, retries), quiet: the view says what matters.
  const kafka = new Kafka({ ...kafkaConfig({ brokers: broker.brokers, auth: KafkaAuth.None, clientId: "ensemble-local" }), logLevel: logLevel.NOTHING });
  const runtime = new LocalRuntime({
    topology: valid,
    stack: options.stack,
    config,
    kafka,
    brokers: broker.brokers,
    ...(options.partitions ? { partitions: options.partitions } : {}),
    ...(options.startingPosition ? { startingPosition: options.startingPosition } : {}),
  });
  // Ctrl-C reaches npm, tsx and node alike, so one press can arrive twice: the first stops
  // everything gracefully (the broker too), later ones wait for that, a third forces the exit.
  let signals = 0;
  let interrupt!: () => void;
  const interrupted = new Promise<"interrupted">((resolve) => (interrupt = () => resolve("interrupted")));
  const onSignal = () => {
    signals++;
    if (signals === 1) interrupt();
    if (signals >= 3) process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let view: LiveView | undefined;
  try {
    if ((await Promise.race([runtime.start(), interrupted])) === "interrupted") {
      process.exitCode = 130;
      return;
    }
    const catalog = { stack: options.stack, config, ...(options.partitions ? { partitions: options.partitions } : {}) };
    view = await serveLive(listener, { runtime, kafka, traces, topology: valid, catalog, executions: demo.executions });
    console.log(`Live view: ${view.url}`);
    const terminal = liveView(process.stdout, demo.executions);
    // The page shows the demo's own snapshots, as the terminal does: the broker is asked once per turn.
    const live = view;
    const onSnapshot = (snapshot: Snapshot) => {
      live.show(snapshot);
      terminal(snapshot);
    };
    const result = await Promise.race([runDemo(runtime, demo.scenario(options.executions), { rate: options.rate, timeoutMs: options.timeout * 1000, onSnapshot }), interrupted]);
    if (result === "interrupted") {
      process.exitCode = 130;
      return;
    }
    console.log(renderSummary(result).join("\n"));
    if (options.trace) console.log(["", ...renderFlow(traces.flowOf(options.trace), options.trace)].join("\n"));
    process.exitCode = result.ok ? 0 : 1;
    if (options.keep) await keepServing(runtime, view, interrupted);
  } finally {
    await (view ? view.close() : new Promise((resolve) => listener.server.close(resolve))).catch(() => {});
    await runtime.stop().catch(() => {});
    await broker.stop();
    process.exit(process.exitCode ?? 0);
  }
}

/** Keeps the live view up and accepts executions over HTTP until Ctrl-C, redrawing the terminal view. */
async function keepServing(runtime: LocalRuntime, live: LiveView, interrupted: Promise<unknown>): Promise<void> {
  const startedAt = Date.now();
  const view = liveView(process.stdout, demo.executions);
  console.log(`\nLive view: ${live.url}  Accepting executions: curl -X POST ${live.url}executions/${demo.scenario(1).context} -H 'content-type: application/json' -d '{"input": {...}}'  (Ctrl-C stops)`);
  const timer = setInterval(() => void takeSnapshot(runtime, 0, 0, startedAt).then(view), 1000);
  await interrupted;
  clearInterval(timer);
}


main().catch((error: unknown) => {
  console.error(error instanceof TopologyError ? error.issues.map(formatIssue).join("\n") : error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
