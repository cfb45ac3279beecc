import { Command, InvalidArgumentError, Option } from "commander";
import { Kafka, logLevel } from "kafkajs";
import { topology } from "../../topology";
import { formatIssue, TopologyError, validate } from "../model";
import { BrokerPath, startBroker } from "./broker";
import { ensureTopics } from "./topics";

const program = new Command("npm start --")
  .description("Runs the topology on a real local Kafka broker: validates it, gets a broker, creates its topics.")
  .addOption(
    new Option("--broker <path>", "force how the broker is obtained (default: KAFKA_BROKERS, else testcontainers, else host)").choices(
      Object.values(BrokerPath),
    ),
  )
  .option("--partitions <n>", "partitions of each topic it creates", positiveInt, 3)
  .option("--stack <name>", "stack name used in consumer group ids", "local")
  .option("--keep", "keep the broker running until Ctrl-C, for other tools to use", false)
  .addHelpText(
    "after",
    "\nEnvironment: KAFKA_BROKERS (use this broker), KAFKA_IMAGE (testcontainers image), ENSEMBLE_BROKER (same as --broker).",
  );

async function main(): Promise<void> {
  const options = program.parse().opts<{ broker?: BrokerPath; partitions: number; stack: string; keep: boolean }>();
  const valid = validate(topology, { stack: options.stack });
  const env = options.broker ? { ...process.env, ENSEMBLE_BROKER: options.broker } : process.env;
  const broker = await startBroker({ env });

  const stop = async () => broker.stop();
  try {
    const admin = new Kafka({ clientId: "ensemble-local", brokers: broker.brokers, logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    const created = await ensureTopics(admin, valid.topics, { partitions: options.partitions });
    await admin.disconnect();

    console.log(`\nEnsemble (local, stack "${options.stack}") on ${broker.brokers.join(",")} via ${broker.path}`);
    console.table(
      valid.topics.map((topic) => ({
        topic: topic.name,
        purpose: topic.purpose,
        owner: topic.owner,
        created: created.includes(topic.name) ? "now" : "existed",
      })),
    );
    console.table(
      valid.events.map((event) => ({
        event: event.type,
        subscribers: valid.subscribersOf(event.type).map((c) => c.name).join(", ") || "(none)",
      })),
    );
    if (options.keep) {
      console.log(`Broker up. In another shell: export KAFKA_BROKERS=${broker.brokers.join(",")}  (Ctrl-C stops it)`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } finally {
    await stop();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

main().catch((error: unknown) => {
  if (error instanceof TopologyError) {
    console.error(error.issues.map(formatIssue).join("\n"));
  } else {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  }
  process.exitCode = 1;
});
