import * as path from "node:path";
import { Command, Option } from "commander";
import { dedupeWindowSeconds, formatIssue, loadTaskHandler, names, partitionsOf, TaskModuleError, type Topology, TopologyError, validate, type ValidTopology } from "../platform/model";
import { checkConcurrencyBudget, concurrencyBudget, LAMBDA_UNRESERVED_MINIMUM } from "../platform/model/concurrency-budget";
import { eventPollers } from "../platform/model/poller-groups";
import { planConsumerGroups } from "../platform/model/consumer-group-plan";
import { replicationFactor, type StackConfig, StackConfigError } from "../platform/model/stack-config";
import { checkDefaultTags } from "../platform/model/tags";
import { LOCK_FILE, schemaGate, SchemaGateError, SchemaLockError } from "../platform/model/schema-evolution";
import { PROJECT_ROOT as ROOT, projectName, readStackFile, stackConfigFor } from "./stack-file";

const program = new Command("npm run validate --")
  .description("Validates the topology and a stack's config, and prints what the stack would run: contexts, events, topics, groups, scaling.")
  .option("--stack <name>", "the stack whose Pulumi.<stack>.yaml to read", "dev")
  .option("--check", `write nothing; fail when ${LOCK_FILE} is not up to date (CI)`)
  .option("--accept <type>", "accept the breaking schema changes of one event type (e.g. orders.OrderPlaced), with --reason")
  .option("--reason <text>", "why no reader breaks: recorded in the lock with the accepted changes")
  // Hidden: lets the tests validate a topology that is wrong on purpose (a module exporting `topology`).
  .addOption(new Option("--topology <module>", "module exporting the topology to validate").default(path.join(ROOT, "topology")).hideHelp())
  // Hidden: lets the tests gate against a baseline of their own, never the committed one.
  .addOption(new Option("--lock <file>", "the schema baseline").default(path.join(ROOT, LOCK_FILE)).hideHelp());

interface ValidateCliOptions {
  readonly stack: string;
  readonly topology: string;
  readonly lock: string;
  readonly check?: boolean;
  readonly accept?: string;
  readonly reason?: string;
}

/** The one-screen summary. */
export function summary(valid: ValidTopology, stack: string, config: StackConfig): string[] {
  const lines: string[] = [];
  const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  const kafka = config.kafka.existingClusterArn
    ? `existing cluster ${config.kafka.existingClusterArn}`
    : `${config.kafka.brokers} × ${config.kafka.instanceType}, ${config.kafka.version}`;
  lines.push(`Stack "${stack}": valid. MSK ${kafka}; replication ${replicationFactor(config)}; logs kept ${config.logs.retentionDays} days.`, "");

  lines.push(row(["context", "events", "tasks", "states", "state machine"], [10, 52, 6, 7, 0]));
  for (const context of valid.contexts) {
    lines.push(
      row(
        [context.name, context.eventList.map((e) => e.name).join(", "), context.tasks.length, context.workflow?.stateNames.length ?? 0, names.stateMachine(stack, context.name)],
        [10, 52, 6, 7, 0],
      ),
    );
  }
  lines.push("", row(["topic", "partitions", "purpose"], [22, 11, 0]));
  for (const topic of valid.topics) {
    const partitions = partitionsOf(topic, config.kafka.partitions);
    lines.push(row([topic.name, partitions, topic.purpose === "events" ? `events of ${topic.owner}` : `dead letters of ${topic.owner}`], [22, 11, 0]));
  }
  lines.push("", row(["consumer group", "reads", "batch", "window", "pollers", "concurrency", "retries"], [16, 34, 6, 7, 8, 12, 0]));
  for (const { consumer, settings: s, mappings } of planConsumerGroups(valid.consumers, stack, config)) {
    const reads = mappings.map((mapping) => `${mapping.context}(${mapping.types.length})`).join(" ");
    const starts = consumer.startWorkflow ? `  → starts ${consumer.startWorkflow.name}` : "";
    lines.push(row([consumer.name, reads, s.batchSize, `${s.windowSeconds}s`, `${s.minPollers}-${s.maxPollers}`, s.reservedConcurrency ?? "unreserved", `${consumer.retries}${starts}`], [16, 34, 6, 7, 8, 12, 0]));
  }
  const windowHours = Math.round(dedupeWindowSeconds([config.kafka.retentionHours, config.kafka.deadLetterRetentionHours]) / 3600);
  lines.push(
    "",
    `Every group remembers handled event ids for ${windowHours} h: the longest a record it can read lives (topics kept ${config.kafka.retentionHours} h, dead letters ${config.kafka.deadLetterRetentionHours} h, plus a day's segment and an hour).`,
  );
  const plans = planConsumerGroups(valid.consumers, stack, config);
  const budget = concurrencyBudget(plans, config);
  const pollers = eventPollers(plans);
  const shared = Object.keys(pollers.pollerGroups);
  lines.push(
    "",
    `Reserved concurrency: ${budget.reserved}` +
      (budget.reservable === undefined
        ? ` (set ensemble:functions.accountConcurrencyLimit to check it against the account's quota; Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved).`
        : ` of ${budget.reservable} reservable (account limit ${budget.accountLimit}, ${LAMBDA_UNRESERVED_MINIMUM} kept unreserved).`),
    `Event pollers: ${pollers.minimum}–${pollers.maximum} over ${pollers.mappings} event source mappings` +
      (shared.length > 0 ? `, sharing ${shared.length} poller group${shared.length > 1 ? "s" : ""} (${shared.join(", ")}).` : ", each with pollers of its own (ensemble:functions.sharedPollers shares them)."),
  );
  lines.push("", `${valid.contexts.length} contexts, ${valid.events.length} events, ${valid.topics.length} topics, ${valid.consumers.length} consumer groups.`);
  return lines;
}

/**
 * Loads every task through the context's own reference and checks it is the module infra
 * bundles for it (`tasks/<task in kebab-case>.ts`): the type checker checks the reference, this
 * checks that both name the same file.
 */
export async function taskModuleProblems(topology: Topology): Promise<string[]> {
  const problems: string[] = [];
  for (const context of topology.contexts) {
    for (const task of context.tasks) {
      try {
        await loadTaskHandler(context, task.name);
      } catch (error) {
        if (!(error instanceof TaskModuleError)) throw error;
        problems.push(`${context.definedIn ? `${path.relative(process.cwd(), context.definedIn)}: ` : ""}${error.message}`);
      }
    }
  }
  return problems;
}

async function main(): Promise<void> {
  const options = program.parse().opts<ValidateCliOptions>();
  const { stack, topology: module } = options;
  if (options.reason !== undefined && options.accept === undefined) {
    throw new SchemaGateError(`--reason goes with --accept <event type>: npm run validate -- --accept orders.OrderPlaced --reason "<why no reader breaks>".`);
  }
  const { topology } = require(path.resolve(module)) as { topology: Topology };
  const problems: string[] = [];
  let valid: ValidTopology | undefined;
  let config: StackConfig | undefined;
  try {
    valid = validate(topology, { stack });
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    problems.push(...error.issues.map(formatIssue));
  }
  if (valid) problems.push(...(await taskModuleProblems(valid)));
  try {
    config = stackConfigFor(stack, topology.consumers.map((c) => c.name), { required: true });
    if (valid) checkConcurrencyBudget(stack, concurrencyBudget(planConsumerGroups(valid.consumers, stack, config), config));
    // What the Pulumi program checks before anything else, so that "valid" here means it runs.
    checkDefaultTags(projectName(), stack, readStackFile(stack) ?? {});
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    problems.push(error.message);
  }
  if (problems.length > 0 || !valid || !config) {
    console.error(problems.join("\n"));
    process.exitCode = 1;
    return;
  }
  // The schema gate needs a valid topology and no stack: it compares what readers get.
  const gate = schemaGate(valid, {
    lockFile: path.resolve(options.lock),
    shownAs: path.relative(process.cwd(), path.resolve(options.lock)),
    check: options.check ?? false,
    ...(options.accept !== undefined ? { accept: { type: options.accept, reason: options.reason } } : {}),
  });
  if (!gate.ok) {
    console.error(gate.lines.join("\n"));
    process.exitCode = 1;
    return;
  }
  console.log([...summary(valid, stack, config), "", ...gate.lines].join("\n"));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // The gate's own errors say what to do; anything else shows its name to tell it apart.
    console.error(error instanceof SchemaGateError || error instanceof SchemaLockError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  });
}
