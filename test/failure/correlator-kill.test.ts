/*
 * Injected: a context's correlator (its own process: poller and function, the real correlator
 * handler, waits in DynamoDB as on AWS) is SIGKILLed mid-stream, inside its third SendTaskSuccess:
 * the awaited event is kept in the wait table, the wait is not yet completed and the batch is not
 * committed. While it is down, more awaited events are published. A new correlator process is
 * started on the same group.
 *
 * Observed, counted before any deduplication (every completion the correlators asked of the
 * executions' task tokens, with its answer): the first process asked three completions (two
 * answered, the third met the kill); the new process received the killed batch again (a
 * redelivery: the interrupted event's id reached both processes) and asked exactly the 18 that
 * were left, each answered "completed"; no wait was completed twice or left waiting, none was
 * asked of a token already answered, every execution continued with its own key's event, and
 * nothing was dead-lettered.
 */
import { type ChildProcess, fork } from "node:child_process";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { LocalRuntime } from "../../platform/local/runtime";
import { correlatorName, names } from "../../platform/model";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime";
import { createWaitTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";
import { createPartitioner, uniqueName } from "../support/kafka";
import { Signal } from "../support/wait";
import { correlatorKillTopology } from "./support/correlator-topology";

jest.setTimeout(180_000);

const SCRIPT = path.join(__dirname, "support", "correlator-process.ts");
/** The group's session: how long the killed member keeps its partition before the new process gets it. */
const SESSION_TIMEOUT_MS = 6_000;
const suffix = uniqueName("ck").slice(3);
const stack = uniqueName("ckill");
const { source, waiter, topology } = correlatorKillTopology(suffix, stack);
const correlator = correlatorName(waiter.name);
const waitTable = `${stack}-waits`;
const brokers = process.env.KAFKA_BROKERS!.split(",");
const kafka = new Kafka({ clientId: "correlator-kill", brokers, logLevel: logLevel.NOTHING });
const RUN_TIME = new Date().toISOString();

interface Asked {
  readonly process: number;
  readonly taskToken: string;
  /** The key of the event it completes the wait with. */
  readonly key: string;
  answer?: "completed" | "gone" | "killed";
}

const signal = new Signal();
const asked: Asked[] = [];
const delivered: { process: number; id: string; key: string }[] = [];
let dynamo: StartedDynaliteServer;
let runtime: LocalRuntime;
let producer: Producer;
const poll = setInterval(() => signal.notify(), 50);

/** A correlator process; `killAt` is the index in `asked` of the completion it is killed in, unanswered. */
function startCorrelator(index: number, killAt?: number): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = fork(SCRIPT, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, STACK: stack, RUN_SUFFIX: suffix, ENSEMBLE_WAIT_TABLE: waitTable, ENSEMBLE_DYNAMODB_ENDPOINT: dynamo.getEndpoint(), SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), ENSEMBLE_LOG_LEVEL: "ERROR" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, sig) => resolve(sig ?? code)));
  child.on("message", (message: { kind: string; id?: number; taskToken?: string; output?: unknown; records?: { id?: string; key?: string }[] }) => {
    if (message.kind === "delivered") for (const record of message.records ?? []) if (record.id) delivered.push({ process: index, id: record.id, key: String(record.key) });
    if (message.kind === "complete") {
      const entry: Asked = { process: index, taskToken: message.taskToken!, key: (message.output as { key: string }).key };
      asked.push(entry);
      if (asked.length - 1 === killAt) {
        entry.answer = "killed";
        child.kill("SIGKILL");
      } else {
        void runtime.taskTokens.succeed(message.taskToken!, message.output).then((answer) => {
          entry.answer = answer;
          if (child.connected) child.send({ id: message.id, answer });
          signal.notify();
        });
      }
    }
    if (message.kind === "ready") (child as ChildProcess & { ready?: boolean }).ready = true;
    signal.notify();
  });
  return { child, exited };
}

const readyRecord = (key: string) => {
  const event = toCloudEvent({ event: source.events.Ready, key, data: { key, note: "first" }, state: "Ready", executionId: `arn:aws:states:local:000000000000:execution:${source.name}:${key}`, time: RUN_TIME });
  const record = toKafkaRecord(event);
  return { key: record.key, value: record.value, headers: record.headers };
};
const send = (keys: readonly string[]) => producer.send({ topic: names.contextTopic(source.name), acks: -1, messages: keys.map(readyRecord) });
const isReady = (child: ChildProcess) => (child as ChildProcess & { ready?: boolean }).ready === true;

beforeAll(async () => {
  dynamo = await new DynaliteServer().start();
  await createWaitTable(new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } }), waitTable);
  // The runtime's own correlator function registers the waits (the state machine invokes it) in the same table.
  process.env.ENSEMBLE_WAIT_TABLE = waitTable;
  process.env.ENSEMBLE_DYNAMODB_ENDPOINT = dynamo.getEndpoint();
  runtime = new LocalRuntime({ topology, stack, kafka, brokers, partitions: 1, startingPosition: "TRIM_HORIZON" });
  await runtime.start();
  // The events go to the correlator's own process, not to the runtime's mapping.
  await runtime.stopGroup(correlator);
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner });
  await producer.connect();
});

afterAll(async () => {
  clearInterval(poll);
  await producer?.disconnect();
  await runtime?.stop();
  delete process.env.ENSEMBLE_WAIT_TABLE;
  delete process.env.ENSEMBLE_DYNAMODB_ENDPOINT;
  await dynamo?.stop();
});

it("completes every wait exactly once when the correlator process is killed inside a completion and a new one takes over", async () => {
  // Prepare: 20 executions waiting, their waits registered in the table.
  const keys = Array.from({ length: 20 }, (_, i) => `kill-${String(i).padStart(2, "0")}`);
  const executions = keys.map((key) => runtime.startExecution(waiter.name, `${key}-exec`, { key }));
  await signal.until(() => runtime.taskTokens.waiting === 20, "20 waits registered", 30_000, () => runtime.taskTokens.waiting);

  // Act: the first correlator is killed in its third completion.
  const first = startCorrelator(1, 2);
  await signal.until(() => isReady(first.child), "the first correlator to join its group");
  await send(keys.slice(0, 10));
  expect(await first.exited).toBe("SIGKILL");
  await send(keys.slice(10));
  expect(await runtime.lag(correlator)).toBeGreaterThanOrEqual(10);
  const second = startCorrelator(2);
  const ended = await Promise.all(executions.map((e) => e.done.then(() => e)));
  second.child.disconnect();
  await second.exited;

  // Assess
  const killed = asked.find((a) => a.answer === "killed")!;
  expect(asked.filter((a) => a.process === 1).map((a) => a.answer)).toEqual(["completed", "completed", "killed"]);
  expect(asked.filter((a) => a.process === 2).map((a) => a.answer)).toEqual(Array(18).fill("completed"));
  // In offset order on one partition: the third event's completion met the kill.
  expect(killed.key).toBe(keys[2]);
  // Its event reached both processes, under one id: a redelivery, not a new event.
  const idsOf = (index: number, key: string) => delivered.filter((d) => d.process === index && d.key === key).map((d) => d.id);
  expect(idsOf(1, killed.key)).toHaveLength(1);
  expect(idsOf(2, killed.key)).toEqual(idsOf(1, killed.key));
  // The token the kill interrupted was asked again by the new process, and completed once.
  expect(asked.filter((a) => a.taskToken === killed.taskToken).map((a) => [a.process, a.answer])).toEqual([[1, "killed"], [2, "completed"]]);
  const completed = asked.filter((a) => a.answer === "completed");
  expect(completed).toHaveLength(20);
  expect(new Set(completed.map((a) => a.taskToken)).size).toBe(20);
  expect(ended.map((e) => [e.name, e.status, (e.output as { ready?: { key: string } } | undefined)?.ready?.key])).toEqual(keys.map((key) => [`${key}-exec`, "SUCCEEDED", key]));
  expect(runtime.taskTokens.waiting).toBe(0);
  expect(await runtime.deadLettered(correlator)).toBe(0);
});
