import * as path from "node:path";
import { Command } from "commander";
import { kebab } from "../platform/model";
import { type AddContextRequest, type ContextPlan, planContext } from "../platform/scaffold/context-plan";
import { type PlanOutcome, previewPlan, writePlan } from "../platform/scaffold/file-plan";
import { deriveFiles, type DerivedFiles, filesOf, loadRepo, NOTHING_DERIVED, renderDerived } from "./target-repository";

/** The repository this CLI belongs to: where contexts go unless `--root` says otherwise. */
const REPO_ROOT = path.resolve(__dirname, "..");

export interface AddContextArguments {
  readonly request: AddContextRequest;
  /** The repository to write into. */
  readonly root: string;
  readonly dryRun: boolean;
}

interface Options {
  event?: string;
  task?: string;
  description?: string;
  root: string;
  dryRun: boolean;
}

/** The `npm run add-context` command; `exitOverride()` it to parse without exiting. */
export function addContextCommand(): Command {
  return new Command("npm run add-context --")
    .description(
      "Adds a bounded context: contexts/<name>/ with events.ts (one event), tasks/ (one task), workflow.ts (the task, then a milestone " +
        "publishing the event) and context.ts; a test of the task and the workflow in test/unit/contexts/; the context's entry in " +
        "contexts/index.ts; and catalog/ and schemas.lock.json brought up to date, as npm run catalog and npm run validate write them. " +
        "Everything is checked against the topology model first; when anything is wrong it says what and writes nothing.",
    )
    .argument("<name>", "the context's name, kebab-case: it names its topic (<name>.events), state machine and functions")
    .option("--event <Name>", "the event its workflow publishes, PascalCase (default: <Name>Processed)")
    .option("--task <Name>", "the Lambda task its workflow runs, PascalCase (default: Process<Name>)")
    .option("--description <text>", "one line on what the context does (default: the task and the event)")
    .option("--root <dir>", "the repository to add the context to", REPO_ROOT)
    .option("--dry-run", "print what would be written, and write nothing", false)
    .showHelpAfterError("(npm run add-context -- --help shows the options)")
    .addHelpText(
      "after",
      ["", "Examples:", "  npm run add-context -- loyalty", "  npm run add-context -- returns --task InspectReturn --event ReturnInspected"].join("\n"),
    );
}

/** Parses `argv` (without node and script), throwing a CommanderError instead of exiting. */
export function parseArguments(argv: readonly string[]): AddContextArguments {
  const command = addContextCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  command.parse([...argv], { from: "user" });
  return argumentsOf(command);
}

function argumentsOf(command: Command): AddContextArguments {
  const options = command.opts<Options>();
  const [name] = command.processedArgs as [string];
  return {
    request: {
      name,
      ...(options.event === undefined ? {} : { event: options.event }),
      ...(options.task === undefined ? {} : { task: options.task }),
      ...(options.description === undefined ? {} : { description: options.description }),
    },
    root: path.resolve(options.root),
    dryRun: options.dryRun,
  };
}

/** What a successful run prints: what it wrote, then what to do next. */
export function renderCreated(plan: ContextPlan, derived: DerivedFiles, cwd = process.cwd()): string[] {
  const { name, identifier, event, task } = plan.spec;
  const dir = `contexts/${name}`;
  const where = path.resolve(cwd) === plan.root ? [] : [`In ${plan.root}:`];
  const subscribers = derived.subscribers[name] ?? [];
  const { updated, notes } = renderDerived(derived, `${name}.${event} and its readers`);
  return [
    `Added context "${name}": task ${task}, then milestone ${name}.${event} on topic ${name}.events.`,
    ...where,
    "",
    ...plan.created.map((file) => `  created  ${file.path}`),
    ...plan.changed.map((file) => `  changed  ${file.path}  (imports ${identifier}, adds it to contexts and exports it)`),
    ...updated,
    ...(notes.length > 0 ? ["", ...notes] : []),
    "",
    "Next steps:",
    `  1. Give it its real work: the event's data in ${dir}/events.ts (its schema is what consumers read),`,
    `     the task in ${dir}/tasks/${kebab(task)}.ts, more tasks and milestones in ${dir}/workflow.ts;`,
    `     then npm run validate and npm run catalog to bring schemas.lock.json and catalog/ up to date, and commit them with the context.`,
    ...(subscribers.length > 0
      ? [
          `     Until then the event is unreleased, but schemas.lock.json records it with its readers: if the gate takes your data for a`,
          `     breaking change, git checkout schemas.lock.json and run npm run validate again, to record the event afresh.`,
        ]
      : []),
    `  2. npm test          typechecks and runs every test, test/unit/contexts/${name}.test.ts included`,
    `  3. npm run add-consumer -- <group> --on ${name}.${event}    subscribes a consumer group to its milestone`,
    ...(subscribers.length > 0 ? [`     (${list(subscribers)} already receive${subscribers.length === 1 ? "s" : ""} it: they take every context's events)`] : []),
    `     npm run add-consumer -- <group> --on <context>.<Event> --start-workflow ${name}    starts its workflow from another context's event`,
    `  4. npm start -- --keep, then POST /executions/${name} {"input": {"id": "${name}-1"}} to port 4040: runs it locally on the broker`,
    `  5. pulumi preview    adds topic ${name}.events, the state machine and the functions of ${name} (publisher, ${task});`,
    `                       updates the code of every consumer group's function (each bundles contexts/index.ts)` +
      (subscribers.length > 0 ? `, and adds an event source mapping of ${name}.events to ${list(subscribers)}` : ""),
  ];
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`;
}

/** What a refused run prints on stderr. */
export function renderRefusal(name: string, result: Extract<PlanOutcome<ContextPlan>, { ok: false }>): string[] {
  const count = result.problems.length === 1 ? "1 problem" : `${result.problems.length} problems`;
  return [
    `Not adding context "${name}" (${count}); nothing was written.`,
    ...result.problems.map((problem) => `  - ${result.existing.has(problem) ? "(already in the topology) " : ""}${problem}`),
  ];
}

/** What `--dry-run` prints: every file it would write, the lines contexts/index.ts gains, and the generated files it would bring up to date. */
export function renderDryRun(plan: ContextPlan): string[] {
  return [
    `Dry run: would add context "${plan.spec.name}" in ${plan.root}; nothing was written.`,
    "",
    ...previewPlan(plan),
    `--- would regenerate catalog/ (asyncapi.yaml, topology.md, index.html) with context "${plan.spec.name}" in it`,
    `--- would record ${plan.spec.name}.${plan.spec.event} in schemas.lock.json, as npm run validate does`,
  ];
}

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[] = process.argv): number {
  const command = addContextCommand().parse([...argv]);
  const { request, root, dryRun } = argumentsOf(command);
  let result: PlanOutcome<ContextPlan>;
  try {
    result = planContext(root, request, loadRepo(root));
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
  const { plan } = result;
  let derived = NOTHING_DERIVED;
  try {
    writePlan(plan, () => filesOf((derived = deriveFiles(root))));
  } catch (error) {
    console.error(`Could not write the context: ${error instanceof Error ? error.message : String(error)}\nWhat had been written was removed again.`);
    return 1;
  }
  console.log(renderCreated(plan, derived).join("\n"));
  return 0;
}

if (require.main === module) process.exitCode = main();
