/*
 * One consumer group in a process of its own: the real audit-archive handler behind an emulated
 * event source mapping of its orders subscription, with the DynamoDB idempotency store the
 * environment names. Run with tsx by the consumer-kill failure test, which reads what happens
 * from stdout, one JSON object a line:
 *
 *   {"kind":"ready"}                                      the mapping joined its group (and the containers are up)
 *   {"kind":"delivered","partition":0,"records":[{"offset":0,"id":"..."}, ...],"at":...}   a batch handed to the function
 *   {"kind":"failed","cause":"function-error","offsets":[...]}   an invocation failed, or reported records
 *   {"kind":"committed","partition":0,"offset":10}        the group's committed offset moved
 *   {"kind":"on-failure","reason":"...","offsets":[...]}  records sent to the on-failure topic
 *   {"kind":"container","pid":...}, {"kind":"container-exit","pid":...,"signal":"SIGKILL"}
 *   {"kind":"in-flight", ...}, {"kind":"invoked", ...}    from the function (audit-archive-function.ts)
 *
 * The function runs in this process (the default: the process is the whole consumer, poller and
 * function, as the local runtime runs one), or with FUNCTION_CONTAINER=1 in Lambda containers of
 * its own (audit-archive-container.ts): a killed container fails its invocation, and the mapping
 * retries the batch in the next one while this process, the poller, stays in its group — as
 * Lambda's pollers outlive a crashed function. A spare container is kept started, so a retry
 * meets a warm one; only the first container gets the freeze point.
 *
 * Environment: KAFKA_BROKERS, ENSEMBLE_IDEMPOTENCY_TABLE, ENSEMBLE_DYNAMODB_ENDPOINT, STACK,
 * EFFECTS_FILE, FUNCTION_TIMEOUT_SECONDS, PARTIAL_BATCH_READING, FUNCTION_CONTAINER, FREEZE_*.
 */
import { type ChildProcess, fork } from "node:child_process";
import * as path from "node:path";
import type { Context as LambdaContext } from "aws-lambda";
import consumer from "../../../consumers/audit-archive/consumer";
import { handler } from "../../../consumers/audit-archive/handler";
import { LocalEventSourceMapping, type PartialBatchReading } from "../../../platform/local/event-source-mapping";
import { names } from "../../../platform/model";
import { planConsumerGroup } from "../../../platform/model/consumer-group-plan";
import { defaultStackConfig } from "../../../platform/model/stack-config";
import { createKafka, kafkaSettingsFromEnv } from "../../../platform/runtime/kafka";
import type { KafkaBatchResponse, KafkaEvent } from "../../../platform/runtime/msk";
import { auditArchiveFunction, freezePointFromEnv, say } from "./audit-archive-function";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const CONTAINER_SCRIPT = path.join(__dirname, "audit-archive-container.ts");
const FREEZE_VARIABLES = ["FREEZE_FROM_BATCH", "FREEZE_AFTER_EFFECTS", "FREEZE_WHEN"];

/** One Lambda container: a child process taking one invocation at a time over IPC. */
class Container {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private sequence = 0;

  constructor(childEnv: NodeJS.ProcessEnv, onExit: (container: Container) => void) {
    this.child = fork(CONTAINER_SCRIPT, [], { execArgv: process.execArgv, env: childEnv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    say({ kind: "container", pid: this.child.pid });
    this.ready = new Promise((resolve, reject) => {
      this.child.once("message", () => resolve());
      this.child.once("exit", (code, signal) => reject(new Error(`The container exited (${signal ?? code}) before it was ready.`)));
    });
    this.ready.catch(() => undefined); // awaited (and so reported) by the invocation that needs it
    this.child.on("exit", (code, signal) => {
      say({ kind: "container-exit", pid: this.child.pid, code, signal });
      onExit(this);
    });
  }

  invoke(event: KafkaEvent): Promise<KafkaBatchResponse> {
    const id = ++this.sequence;
    return new Promise((resolve, reject) => {
      const onMessage = (message: { id?: number; response?: KafkaBatchResponse; error?: string }) => {
        if (message.id !== id) return;
        done();
        if (message.error === undefined) resolve(message.response!);
        else reject(new Error(message.error));
      };
      // What Lambda reports for a runtime that died mid-invocation.
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        reject(new Error(`Runtime exited with ${signal ? `signal: ${signal}` : `error: exit status ${code}`}`));
      };
      const done = () => {
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
      this.child.send({ id, event });
    });
  }
}

/** The function's containers: the one invoked, and a started spare that takes over when it dies. */
class Containers {
  private current: Container;
  private spare: Container;

  constructor() {
    this.current = this.start(true);
    this.spare = this.start(false);
  }

  ready(): Promise<unknown> {
    return Promise.all([this.current.ready, this.spare.ready]);
  }

  readonly invoke = async (event: KafkaEvent): Promise<KafkaBatchResponse> => {
    const container = this.current;
    await container.ready;
    return container.invoke(event);
  };

  close(): void {
    for (const container of [this.current, this.spare]) if (container.child.connected) container.child.disconnect();
  }

  private start(first: boolean): Container {
    const childEnv = { ...process.env };
    if (!first) for (const name of FREEZE_VARIABLES) delete childEnv[name];
    return new Container(childEnv, (dead) => {
      if (dead !== this.current) return;
      this.current = this.spare;
      this.spare = this.start(false);
    });
  }
}

const inContainers = process.env.FUNCTION_CONTAINER === "1";
const containers = inContainers ? new Containers() : undefined;
const fn: (event: KafkaEvent, context?: LambdaContext) => Promise<KafkaBatchResponse> =
  containers?.invoke ?? auditArchiveFunction(env("EFFECTS_FILE"), freezePointFromEnv(process.env));
const offsetsOf = (records: readonly { offset: number }[]) => records.map((r) => r.offset);

const subscription = planConsumerGroup(consumer, env("STACK"), defaultStackConfig()).mappings.find((s) => s.context === "orders")!;
const mapping = new LocalEventSourceMapping({
  kafka: createKafka(kafkaSettingsFromEnv("audit-archive-process")),
  group: consumer.name,
  groupId: subscription.groupId,
  topic: subscription.topic,
  handler: fn,
  batchSize: consumer.batch.size,
  windowSeconds: consumer.batch.windowSeconds,
  filters: [...subscription.filters],
  retries: consumer.retries,
  bisectOnError: consumer.bisectOnError,
  maxPollers: consumer.scaling.maxPollers,
  onFailureTopic: names.deadLetterTopic(consumer.name),
  functionTimeoutSeconds: Number(env("FUNCTION_TIMEOUT_SECONDS")),
  partialBatchReading: env("PARTIAL_BATCH_READING") as PartialBatchReading,
  observer: {
    onDelivered: (records) =>
      say({ kind: "delivered", partition: records[0]!.partition, records: records.map((r) => ({ offset: r.offset, id: r.id })), at: Date.now() }),
    onFailed: (records, cause) => say({ kind: "failed", cause, offsets: offsetsOf(records) }),
    onCommit: ({ partition, offset }) => say({ kind: "committed", partition, offset }),
    onFailureDestination: (records, reason) => say({ kind: "on-failure", reason, offsets: offsetsOf(records) }),
  },
});

async function main(): Promise<void> {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await mapping.stop();
    containers?.close();
    await handler.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  await containers?.ready();
  await mapping.start();
  say({ kind: "ready" });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
