/*
 * A context's correlator in a process of its own, as the correlator-kill failure test runs it:
 * the real correlator handler (its waits in the DynamoDB table the environment names) behind an
 * emulated event source mapping of its subscription. Its Step Functions calls go to the test over
 * IPC, which runs the waiting executions: `{ kind: "complete", id, taskToken, output }` is
 * SendTaskSuccess, answered `{ id, answer }` (or never: the test SIGKILLs the process instead).
 * It tells the test `{ kind: "ready" }` once its mapping has joined the group, and
 * `{ kind: "delivered", records: [{ offset, id, key }] }` for every batch handed to the function.
 *
 * Environment: KAFKA_BROKERS, ENSEMBLE_WAIT_TABLE, ENSEMBLE_DYNAMODB_ENDPOINT, STACK, RUN_SUFFIX,
 * SESSION_TIMEOUT_MS.
 */
import { LocalEventSourceMapping } from "../../../platform/local/event-source-mapping";
import { correlatorName } from "../../../platform/model";
import { planConsumerGroups } from "../../../platform/model/consumer-group-plan";
import { defaultStackConfig } from "../../../platform/model/stack-config";
import { correlatorHandler } from "../../../platform/runtime/correlator";
import { createKafka, kafkaSettingsFromEnv } from "../../../platform/runtime/kafka";
import type { Completion, TaskCompleter } from "../../../platform/runtime/task-completer";
import { correlatorKillTopology } from "./correlator-topology";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
if (!process.send) throw new Error("Run by the correlator-kill test with an IPC channel (fork).");
const send = (message: Record<string, unknown>) => process.send!(message);

/** SendTaskSuccess and SendTaskFailure, asked of the test's executions over IPC. */
class IpcTaskCompleter implements TaskCompleter {
  private sequence = 0;
  private readonly pending = new Map<number, (answer: Completion) => void>();

  constructor() {
    process.on("message", (message: { id: number; answer: Completion }) => {
      this.pending.get(message.id)?.(message.answer);
      this.pending.delete(message.id);
    });
  }

  succeed(taskToken: string, output: unknown): Promise<Completion> {
    const id = ++this.sequence;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      send({ kind: "complete", id, taskToken, output });
    });
  }

  fail(): Promise<Completion> {
    throw new Error("The correlator-kill test completes waits only with SendTaskSuccess.");
  }
}

const stack = env("STACK");
const { waiter, topology } = correlatorKillTopology(env("RUN_SUFFIX"), stack);
const name = correlatorName(waiter.name);
const plan = planConsumerGroups(topology.consumers, stack, defaultStackConfig()).find((p) => p.name === name)!;
const [subscription] = plan.mappings;
const handler = correlatorHandler(waiter, { completer: new IpcTaskCompleter() });

const mapping = new LocalEventSourceMapping({
  kafka: createKafka(kafkaSettingsFromEnv("correlator-process")),
  group: name,
  groupId: subscription!.groupId,
  topic: subscription!.topic,
  handler: (event, context) => handler(event, context) as never,
  batchSize: plan.settings.batchSize,
  windowSeconds: plan.settings.windowSeconds,
  filters: [...subscription!.filters],
  retries: plan.consumer.retries,
  bisectOnError: plan.consumer.bisectOnError,
  maxPollers: plan.settings.maxPollers,
  startingPosition: "TRIM_HORIZON",
  onFailureTopic: plan.deadLetterTopic,
  functionTimeoutSeconds: 30,
  sessionTimeoutMs: Number(env("SESSION_TIMEOUT_MS")),
  observer: { onDelivered: (records) => send({ kind: "delivered", records: records.map((r) => ({ offset: r.offset, id: r.id, key: r.key })) }) },
});

mapping.start().then(
  () => send({ kind: "ready" }),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
process.on("disconnect", () => void mapping.stop().finally(() => process.exit(0)));
