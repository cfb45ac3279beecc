import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { CONSUMER_DEFAULTS, CONSUMER_LIMITS, StartingPosition } from "../platform/model";
import { type AddConsumerRequest, type ConsumerPlan, type PlanResult, planConsumer } from "../platform/scaffold/consumer-plan";
import { previewPlan, writePlan } from "../platform/scaffold/file-plan";
import { inputFunctionName } from "../platform/scaffold/consumer-code";
import { deriveFiles, type DerivedFiles, filesOf, loadRepo, NOTHING_DERIVED, renderDerived } from "./target-repository";

/** The repository this CLI belongs to: where groups go unless `--root` says otherwise. */
const REPO_ROOT = path.resolve(__dirname, "..");

export interface AddConsumerArguments {
  readonly request: AddConsumerRequest;
  /** The repository to write into. */
  readonly root: string;
  readonly dryRun: boolean;
}

interface Options {
  on: string[];
  startWorkflow?: string;
  batchSize?: number;
  windowSeconds?: number;
  minPollers?: number;
  maxPollers?: number;
  retries?: number;
  maxRecordAgeSeconds?: number;
  startingPosition?: StartingPosition;
  description?: string;
  root: string;
  dryRun: boolean;
}

const range = (limit: { readonly min: number; readonly max: number }) => `${limit.min}–${limit.max}`;

/** The `npm run add-consumer` command; `exitOverride()` it to parse without exiting. */
export function addConsumerCommand(): Command {
  const { batchSize, batchWindowSeconds, minPollers, maxPollers, retries, maxRecordAgeSeconds } = CONSUMER_LIMITS;
  return new Command("npm run add-consumer --")
    .description(
      "Adds a consumer group: consumers/<name>/consumer.ts and handler.ts, a handler test in test/unit/consumers/, the group's entry in consumers/index.ts, " +
        "and catalog/ and schemas.lock.json brought up to date, as npm run catalog and npm run validate write them. " +
        "Everything is checked against the topology model first; when anything is wrong it says what and writes nothing.",
    )
    .argument("<name>", "the group's name, kebab-case: it names its Lambda function, consumer group ids and dead-letter topic")
    .requiredOption("--on <events>", "events to subscribe to, as <context>.<Event>, comma-separated; repeatable", eventList)
    .option("--start-workflow <context>", "start this context's workflow for every event, instead of handling it")
    .option("--batch-size <n>", `records per invocation (${range(batchSize)}; default ${CONSUMER_DEFAULTS.batch.size})`, wholeNumber)
    .option("--window-seconds <n>", `seconds to gather a batch (${range(batchWindowSeconds)}; default ${CONSUMER_DEFAULTS.batch.windowSeconds})`, wholeNumber)
    .option("--min-pollers <n>", `provisioned pollers, at least (${range(minPollers)}; default ${CONSUMER_DEFAULTS.scaling.minPollers})`, wholeNumber)
    .option("--max-pollers <n>", `provisioned pollers, at most (${range(maxPollers)}; default ${CONSUMER_DEFAULTS.scaling.maxPollers})`, wholeNumber)
    .option("--retries <n>", `retries of a failing record before the dead-letter topic (${range(retries)}, -1 = forever; default ${CONSUMER_DEFAULTS.retries})`, wholeNumber)
    .option(
      "--max-record-age-seconds <n>",
      `older records go to the dead-letter topic (${maxRecordAgeSeconds.unlimited} = no limit, else ${range(maxRecordAgeSeconds)}; default ${CONSUMER_DEFAULTS.maxRecordAgeSeconds})`,
      wholeNumber,
    )
    .addOption(
      new Option("--starting-position <position>", `where a new group starts reading (default ${CONSUMER_DEFAULTS.startingPosition})`).choices(
        Object.values(StartingPosition),
      ),
    )
    .option("--description <text>", "one line on what the group does (default: the events it reacts to)")
    .option("--root <dir>", "the repository to add the group to", REPO_ROOT)
    .option("--dry-run", "print what would be written, and write nothing", false)
    .showHelpAfterError("(npm run add-consumer -- --help shows the options)")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  npm run add-consumer -- order-watch --on orders.OrderPlaced,orders.OrderRejected --batch-size 50 --max-pollers 4",
        "  npm run add-consumer -- express-shipping --on orders.OrderPlaced --start-workflow shipping",
        "",
        "Limits are Lambda's for Amazon MSK event source mappings, checked by the topology model (platform/model/limits.ts).",
      ].join("\n"),
    );
}

/** Parses `argv` (without node and script), throwing a CommanderError instead of exiting. */
export function parseArguments(argv: readonly string[]): AddConsumerArguments {
  const command = addConsumerCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  command.parse([...argv], { from: "user" });
  return argumentsOf(command);
}

function argumentsOf(command: Command): AddConsumerArguments {
  const options = command.opts<Options>();
  const [name] = command.processedArgs as [string];
  return {
    request: {
      name,
      on: options.on,
      ...(options.startWorkflow === undefined ? {} : { startWorkflow: options.startWorkflow }),
      ...(options.description === undefined ? {} : { description: options.description }),
      settings: {
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.windowSeconds === undefined ? {} : { windowSeconds: options.windowSeconds }),
        ...(options.minPollers === undefined ? {} : { minPollers: options.minPollers }),
        ...(options.maxPollers === undefined ? {} : { maxPollers: options.maxPollers }),
        ...(options.retries === undefined ? {} : { retries: options.retries }),
        ...(options.maxRecordAgeSeconds === undefined ? {} : { maxRecordAgeSeconds: options.maxRecordAgeSeconds }),
        ...(options.startingPosition === undefined ? {} : { startingPosition: options.startingPosition }),
      },
    },
    root: path.resolve(options.root),
    dryRun: options.dryRun,
  };
}

function eventList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")];
}

function wholeNumber(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("expected a whole number.");
  return Number(value);
}

/** What a successful run prints: what it wrote, then what to do next. */
export function renderCreated(plan: ConsumerPlan, derived: DerivedFiles, cwd = process.cwd()): string[] {
  const { spec } = plan;
  const name = spec.name;
  const { updated, notes } = renderDerived(derived, `${name} as a reader of ${spec.events.length === 1 ? spec.events[0]!.type : `its ${spec.events.length} events`}`);
  const contexts = [...new Set(spec.events.map((e) => e.context))];
  const mappings = contexts.length === 1 ? `an event source mapping (${contexts[0]})` : `${contexts.length} event source mappings (${contexts.join(", ")})`;
  const handler = `consumers/${name}/handler.ts`;
  const work = spec.startWorkflow
    ? `Shape the ${spec.startWorkflow.context} workflow's input in ${handler} (${inputFunctionName(spec.startWorkflow.context)}); it passes each event's data through.`
    : `Give the group its real work in ${handler}; for now it records each event in memory.`;
  const where = path.resolve(cwd) === plan.root ? [] : [`In ${plan.root}:`];
  return [
    `Added consumer group "${name}" (${spec.events.map((e) => e.type).join(", ")}${spec.startWorkflow ? `; starts the ${spec.startWorkflow.context} workflow` : ""}).`,
    ...where,
    "",
    ...plan.created.map((file) => `  created  ${file.path}`),
    ...plan.changed.map((file) => `  changed  ${file.path}  (imports ${plan.identifier} and adds it to consumers)`),
    ...updated,
    ...(plan.notes.length + notes.length > 0 ? ["", ...plan.notes.map((note) => `Note: ${note}`), ...notes] : []),
    "",
    "Next steps:",
    `  1. ${work}`,
    `  2. npm test          typechecks and runs every test, test/unit/consumers/${name}.test.ts included`,
    `  3. npm start         the local runtime: "${name}" appears in the live view and receives its events`,
    `  4. pulumi preview    adds only ${name}'s resources: its function, role, policy, log group, idempotency table,`,
    `                       ${mappings}, dead-letter topic ${name}.dlq, two alarms and a dead-letter metric filter`,
  ];
}

/** What a refused run prints on stderr. */
export function renderRefusal(name: string, result: Extract<PlanResult, { ok: false }>): string[] {
  const count = result.problems.length === 1 ? "1 problem" : `${result.problems.length} problems`;
  return [
    `Not adding consumer group "${name}" (${count}); nothing was written.`,
    ...result.problems.map((problem) => `  - ${result.existing.has(problem) ? "(already in the topology) " : ""}${problem}`),
  ];
}

/** What `--dry-run` prints: every file it would write, the lines a changed file gains and loses, and the generated files it would bring up to date. */
export function renderDryRun(plan: ConsumerPlan): string[] {
  return [
    `Dry run: would add consumer group "${plan.spec.name}" in ${plan.root}; nothing was written.`,
    "",
    ...previewPlan(plan),
    `--- would regenerate catalog/ (asyncapi.yaml, topology.md, index.html) with group "${plan.spec.name}" in it`,
    `--- would record "${plan.spec.name}" as a reader of ${plan.spec.events.map((e) => e.type).join(", ")} in schemas.lock.json, as npm run validate does`,
    ...plan.notes.map((note) => `Note: ${note}`),
  ];
}

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[] = process.argv): number {
  const command = addConsumerCommand().parse([...argv]);
  const { request, root, dryRun } = argumentsOf(command);
  let result: PlanResult;
  try {
    result = planConsumer(root, request, loadRepo(root));
  } catch (error) {
    console.error(`Could not load the topology of ${root}: ${error instanceof Error ? error.message : String(error)}\nNothing was written.`);
    return 1;
  }
  if (!result.ok) {
    console.error(renderRefusal(request.name, result).join("\n"));
    return 1;
  }
  if (dryRun) {
    console.log(renderDryRun(result.plan).join("\n"));
    return 0;
  }
  let derived = NOTHING_DERIVED;
  try {
    writePlan(result.plan, () => filesOf((derived = deriveFiles(root))));
  } catch (error) {
    console.error(`Could not write the group: ${error instanceof Error ? error.message : String(error)}\nWhat had been written was removed again.`);
    return 1;
  }
  console.log(renderCreated(result.plan, derived).join("\n"));
  return 0;
}

if (require.main === module) process.exitCode = main();
