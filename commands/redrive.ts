import { Command, CommanderError, InvalidArgumentError } from "commander";
import { Kafka, logLevel } from "kafkajs";
import { topology as projectTopology } from "../topology";
import { closest, formatIssue, FunctionEnvironment, names, TopologyError, type Topology, validate } from "../platform/model";
import { type GroupFunction, LambdaGroupFunction, LocalGroupFunction, redrive, type RedriveReport, renderRedriveReport } from "../platform/redrive";
import { hasHandled, idempotencyStoreFromEnv } from "../platform/runtime/idempotency";
import { kafkaConfig, kafkaSettingsFromEnv } from "../platform/runtime/kafka";
import { positiveInt } from "./options";

/** Exit codes: 0 every record moved or was already handled, 2 some still fail, 1 the redrive could not run. */
export const RedriveExit = { Ok: 0, Error: 1, StillFailing: 2 } as const;

export interface RedriveCliIo {
  /** @default the project's topology (contexts/ and consumers/) */
  readonly topology?: Topology;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the report goes. @default stdout */
  readonly out?: (text: string) => void;
  /** Where errors and --help go. @default stderr */
  readonly err?: (text: string) => void;
}

interface Options {
  dryRun: boolean;
  aws: boolean;
  stack: string;
  limit?: number;
  timeout: number;
}

function command(io: Required<Pick<RedriveCliIo, "out" | "err">>): Command {
  return new Command("npm run redrive --")
    .description(
      "Re-delivers a consumer group's dead-letter records (<group>.dlq) to the group after a fix, and reports what moved. " +
        "It reads the topic as consumer group <stack>.<group>.redrive, so a later run goes on where this one stopped; " +
        "rebuilds each record (poison records of the consumer wrapper and on-failure records of the event source mapping alike) " +
        "into the MSK event the group received, and invokes the group's handler with it. Idempotency keeps effects once: " +
        "an event id the group already handled is skipped and reported as a duplicate. A record that still fails is reported " +
        "with its reason and its offset is not committed, so the next run tries it again; nothing is dead-lettered again.",
    )
    .argument("<group>", "the consumer group, as named in consumers/<group>/consumer.ts")
    .option("--dry-run", "list what would move (event id, type, reason, source topic/partition/offset); invoke nothing, commit nothing", false)
    .option("--stack <name>", "the stack: names the redrive's consumer group id (and, with --aws, the function and its table)", "local")
    .option("--aws", "invoke the group's deployed Lambda function <stack>-<group> instead of its handler in this process", false)
    .option("--limit <n>", "dead-letter records to read at most (the rest waits for the next run)", positiveInt)
    .option("--timeout <seconds>", "give up if the records cannot all be read in this long", positiveInt, 60)
    .addHelpText(
      "after",
      [
        "",
        "Environment:",
        "  KAFKA_BROKERS, ENSEMBLE_KAFKA_BROKERS     the brokers (with ENSEMBLE_KAFKA_AUTH=iam and AWS_REGION for MSK with IAM)",
        "  ENSEMBLE_IDEMPOTENCY_TABLE                the table where the group remembers handled event ids, as its Lambda does",
        "  ENSEMBLE_DYNAMODB_ENDPOINT                a DynamoDB-compatible endpoint for it. Without the table, the store is",
        "                                            this process's own: it knows only what this run handled.",
        "",
        "The handler runs in this process (consumers/<group>/handler.ts), as `npm start` runs it; with --aws,",
        "the deployed function <stack>-<group> is invoked (lambda:InvokeFunction) and, unless ENSEMBLE_IDEMPOTENCY_TABLE",
        "is set, its table <stack>-<group>-idempotency is read (dynamodb:GetItem).",
        "Exit status: 0 everything moved or was already handled, 2 some records still fail, 1 the redrive could not run.",
        "",
        "Example:",
        "  KAFKA_BROKERS=localhost:9092 npm run redrive -- notify-customer --dry-run",
      ].join("\n"),
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
}

/**
 * `npm run redrive -- <group> [--dry-run] [--stack <s>] [--limit <n>]`: parses the arguments,
 * runs the redrive and prints its report. Resolves with the exit code (and the report, when it
 * ran), so tests can call it in-process.
 */
export async function redriveCli(argv: readonly string[], io: RedriveCliIo = {}): Promise<{ exitCode: number; report?: RedriveReport }> {
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  const env = io.env ?? process.env;
  const program = command({ out, err });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? RedriveExit.Ok : RedriveExit.Error };
    throw error;
  }
  const [name] = program.args as [string];
  const options = program.opts<Options>();

  let fn: GroupFunction | undefined;
  try {
    const valid = validate(io.topology ?? projectTopology, { stack: options.stack });
    const consumer = valid.consumers.find((c) => c.name === name);
    if (!consumer) {
      const groups = valid.consumers.map((c) => c.name);
      const [guess] = closest(name, groups, 1);
      throw new InvalidArgumentError(`No consumer group "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}; groups: ${groups.join(", ")}.`);
    }
    const settings = kafkaSettingsFromEnv("ensemble-redrive", env);
    // The handler reads KAFKA_BROKERS for its own dead-letter producer, as under `npm start`.
    process.env.KAFKA_BROKERS ??= settings.brokers.join(",");
    const kafka = new Kafka({ ...kafkaConfig(settings), logLevel: logLevel.NOTHING });
    const functionName = names.consumerFunction(options.stack, consumer.name);
    // On AWS the group's own table holds what it handled; the infra names it after the function.
    const store = idempotencyStoreFromEnv(
      options.aws && !env[FunctionEnvironment.IdempotencyTable] ? { ...env, [FunctionEnvironment.IdempotencyTable]: names.idempotencyTable(options.stack, consumer.name) } : env,
    );
    fn = options.aws ? new LambdaGroupFunction(functionName) : new LocalGroupFunction(consumer);
    const report = await redrive({
      kafka,
      consumer,
      stack: options.stack,
      fn,
      handled: (eventId) => hasHandled(store, consumer.name, eventId),
      dryRun: options.dryRun,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      timeoutMs: options.timeout * 1000,
    });
    out(`${renderRedriveReport(report).join("\n")}\n`);
    return { exitCode: report.failing > 0 ? RedriveExit.StillFailing : RedriveExit.Ok, report };
  } catch (error) {
    const message =
      error instanceof TopologyError
        ? error.issues.map(formatIssue).join("\n")
        : error instanceof InvalidArgumentError
          ? `error: ${error.message}`
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : String(error);
    err(`${message}\n`);
    return { exitCode: RedriveExit.Error };
  } finally {
    await fn?.close();
  }
}


if (require.main === module) {
  void redriveCli(process.argv.slice(2)).then(({ exitCode }) => process.exit(exitCode));
}
