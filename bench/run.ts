import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { type Broker, BrokerPath, startBroker } from "../platform/broker/start-broker";
import { brokerCeilingSection } from "./broker-ceiling";
import { clientsSection } from "./clients";
import { coldStartSection } from "./cold-start";
import { consumeSection } from "./consume";
import { endToEndSection } from "./end-to-end";
import { newRunId, type Section, type SectionContext, type SectionOutput, warmUpBroker } from "./harness";
import { describeMachine, machineLine } from "./machine";
import { benchOptions, type Mode, SECTION_NAMES, type SectionName } from "./options";
import { publishSection } from "./publish";
import { pulumiScaleSection } from "./pulumi-scale";
import { tracingSection } from "./tracing";
import { wrapperSection } from "./wrapper";
import { formatTable } from "./report";

const SECTIONS: readonly Section[] = [publishSection, consumeSection, wrapperSection, endToEndSection, brokerCeilingSection, clientsSection, tracingSection, coldStartSection, pulumiScaleSection];

const program = new Command("npm run bench --")
  .description(
    "Measures Ensemble's publish, consume and end-to-end paths on a real Kafka broker, each beside a raw kafkajs baseline measured in the same run, the broker's own ceiling, Lambda bundle cold-start proxies and the Pulumi program's scaling. Prints a table per section and writes a JSON file with the machine's description.",
  )
  .option("--quick", "tiny sizes: checks that every section runs (figures are noise)", false)
  .option("--long", "larger sizes for tighter percentiles (tens of minutes)", false)
  .option("--only <sections>", `comma-separated sections to run: ${SECTION_NAMES.join(",")}`, sectionList)
  .option("--events <n>", "events per concurrent publish and end-to-end saturation run; sequential publish runs a fifth, consume four times as many", positiveInt)
  .option("--rate <n,m>", "end to end: offered rates, events/s, each measured on its own", positiveIntList)
  .option("--seconds <n>", "end to end: how long the offered rate is held", positiveInt)
  .option("--concurrency <n>", "publish calls in flight in the concurrent and saturation runs", positiveInt)
  .addOption(new Option("--broker <path>", "force how the broker is obtained (default: as npm start and the tests)").choices(Object.values(BrokerPath)))
  .option("--out <file>", "where to write the results", "bench/results.json")
  .addHelpText("after", "\nEnvironment: KAFKA_BROKERS, KAFKA_IMAGE, ENSEMBLE_BROKER (as npm start), ENSEMBLE_CACHE (Kafka jars), JAVA_HOME.");

interface CliOptions {
  quick: boolean;
  long: boolean;
  only?: SectionName[];
  events?: number;
  rate?: number[];
  seconds?: number;
  concurrency?: number;
  broker?: BrokerPath;
  out: string;
}

type SectionResult = { status: "ok"; seconds: number } & SectionOutput["data"] | { status: "failed"; seconds: number; error: string };

async function main(): Promise<number> {
  const cli = program.parse().opts<CliOptions>();
  if (cli.quick && cli.long) throw new InvalidArgumentError("--quick and --long exclude each other.");
  const mode: Mode = cli.quick ? "quick" : cli.long ? "long" : "default";
  const options = benchOptions(mode, { ...cli, rates: cli.rate });
  const selected = SECTIONS.filter((section) => !cli.only || cli.only.includes(section.name));
  const machine = describeMachine();
  const startedAt = new Date();
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  log(`${mode} run of ${selected.map((s) => s.name).join(", ")} on ${machineLine(machine)}`);

  let broker: Broker | undefined;
  stopOnSignal(() => broker);
  if (selected.some((section) => section.needsBroker)) {
    broker = await startBroker({ env: cli.broker ? { ...process.env, ENSEMBLE_BROKER: cli.broker } : process.env, log });
    machine.broker = { path: broker.path, description: broker.description, readyInMs: broker.readyInMs };
  }

  const results: Partial<Record<SectionName, SectionResult>> = {};
  const outputs = new Map<SectionName, SectionOutput>();
  const context: SectionContext = { options, broker, runId: newRunId(), earlier: outputs, log };
  try {
    if (broker) {
      const warming = performance.now();
      await warmUpBroker(context, options.warmup * 10);
      log(`broker warmed up with ${options.warmup * 10} sends in ${((performance.now() - warming) / 1000).toFixed(1)} s`);
    }
    for (const section of selected) {
      const sectionStarted = performance.now();
      const seconds = () => Number(((performance.now() - sectionStarted) / 1000).toFixed(1));
      log(`${section.name} ...`);
      try {
        const output = await section.run(context);
        outputs.set(section.name, output);
        results[section.name] = { status: "ok", seconds: seconds(), ...output.data };
        log(`${section.name} done in ${seconds()} s`);
      } catch (error) {
        results[section.name] = { status: "failed", seconds: seconds(), error: (error as Error).message };
        log(`${section.name} FAILED: ${(error as Error).stack ?? error}`);
      }
    }
  } finally {
    await broker?.stop();
  }

  machine.loadAverage.end = Number(os.loadavg()[0]!.toFixed(2));
  const durationSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
  const out = path.resolve(cli.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ machine, startedAt: startedAt.toISOString(), durationSeconds, mode, options, sections: results }, null, 2)}\n`);

  console.log(`Machine: ${machineLine(machine)} -> ${machine.loadAverage.end}`);
  console.log(`Broker: ${machine.broker?.description ?? "none (no section needed one)"}\n`);
  for (const output of outputs.values()) for (const table of output.tables) console.log(`${formatTable(table)}\n`);
  const failed = Object.entries(results).filter(([, result]) => result.status === "failed");
  for (const [name, result] of failed) console.log(`FAILED ${name}: ${(result as { error: string }).error}`);
  console.log(`${selected.length - failed.length} of ${selected.length} sections ran in ${durationSeconds} s; results in ${path.relative(process.cwd(), out)}`);
  return failed.length > 0 ? 1 : 0;
}

/**
 * Ctrl-C stops the broker this run started, then exits. One press reaches npm, tsx and node alike,
 * so it can arrive twice: the first stops the broker, the second waits for that, a third exits at once.
 */
function stopOnSignal(current: () => Broker | undefined): void {
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals >= 3) process.exit(130);
    if (signals > 1) return;
    process.stderr.write("[bench] interrupted: stopping the broker\n");
    void (current()?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

function sectionList(value: string): SectionName[] {
  const names = value.split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(SECTION_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new InvalidArgumentError(`unknown section ${unknown.join(", ") || "(none)"}; choose from ${SECTION_NAMES.join(", ")}.`);
  return names as SectionName[];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

function positiveIntList(value: string): number[] {
  return value.split(",").map((part) => positiveInt(part.trim()));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
