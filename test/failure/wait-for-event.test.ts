/*
 * A workflow waiting for another context's event (`waitFor`), run by the local runtime on the real
 * broker: the waiting state machine invokes its context's correlator with a task token, the
 * correlator (a consumer group: its own event source mapping, the real handler) completes the
 * wait when the event arrives. Injected, each with its own keys:
 * - order: the event before the wait is registered, and after;
 * - duplicates: every event delivered twice, byte for byte, and a second, different event per key;
 * - timeout: no event within the wait's timeout, then the event comes late;
 * - the correlator fails mid-stream (its Step Functions call throws, as a crashed invocation does)
 *   and is then stopped and restarted while events keep arriving.
 * Counted before any deduplication: completions asked of the task tokens, and what each answered.
 */
import { Kafka, logLevel, type Producer } from "kafkajs";
import * as z from "zod";
import { LocalRuntime } from "../../platform/local/runtime";
import { correlatorName, defineContext, defineEvent, defineTopology, defineWorkflow, fail, milestone, names, succeed, validate, WAIT_TIMED_OUT, waitFor } from "../../platform/model";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime";
import type { Completion } from "../../platform/runtime/task-completer";
import { InMemoryWaitStore } from "../../platform/runtime/wait-store";
import { createPartitioner, uniqueName } from "../support/kafka";
import { Signal } from "../support/wait";

jest.setTimeout(120_000);

const Ready = defineEvent({ name: "Ready", schema: z.object({ key: z.string(), note: z.string() }) });
const source = defineContext({ name: uniqueName("src"), events: [Ready] });
const waitingWorkflow = (timeoutSeconds: number) =>
  defineWorkflow({
    StartAt: "AwaitReady",
    States: {
      AwaitReady: waitFor(source.events.Ready, { key: "$.key", timeoutSeconds, resultPath: "$.ready", catch: { errors: [WAIT_TIMED_OUT], to: "NotReady" }, next: "Done" }),
      Done: succeed(),
      NotReady: fail("NotReady", "The awaited event did not come in time."),
    },
  });
const waiter = defineContext({ name: uniqueName("wait"), events: [], workflow: waitingWorkflow(300) });
const shortWaiter = defineContext({ name: uniqueName("short"), events: [], workflow: waitingWorkflow(2) });

const stack = uniqueName("waits");
const brokers = process.env.KAFKA_BROKERS!.split(",");
const kafka = new Kafka({ clientId: "wait-for-event", brokers, logLevel: logLevel.NOTHING });
const runtime = new LocalRuntime({
  topology: validate(defineTopology({ contexts: [source, waiter, shortWaiter], consumers: [] }), { stack, checkFiles: false }),
  stack,
  kafka,
  brokers,
});
const correlator = () => runtime.groups.get(correlatorName(waiter.name))!;

/** Every completion asked of the runtime's task tokens, with what it answered, in order. */
const completions: { taskToken: string; answer: Completion | "threw" }[] = [];
/** The index in `completions` of the completion that throws, if any. */
let failingCompletion: number | undefined;
/** Registrations the correlators' store took. */
let registered = 0;
const signal = new Signal();
let producer: Producer;
/** Deliveries and executions are the runtime's own counters: re-check the conditions on them every 50 ms as well. */
let poll: NodeJS.Timeout;

/** When this run's events happened: one time for all, so a (key, note) always gives the same bytes. */
const RUN_TIME = new Date().toISOString();

/** The Ready event for `key`, as a producer of `source` writes it: the same bytes every time for one (key, note). */
function readyRecord(key: string, note = "first") {
  const event = toCloudEvent({ event: source.events.Ready, key, data: { key, note }, state: "Ready", executionId: `arn:aws:states:local:000000000000:execution:${source.name}:${key}-${note}`, time: RUN_TIME });
  return toKafkaRecord(event);
}
const send = (records: ReturnType<typeof readyRecord>[]) => producer.send({ topic: names.contextTopic(source.name), acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });

beforeAll(async () => {
  const tokens = runtime.taskTokens;
  const succeed = tokens.succeed.bind(tokens);
  tokens.succeed = async (taskToken, output) => {
    if (completions.length === failingCompletion) {
      completions.push({ taskToken, answer: "threw" });
      signal.notify();
      throw new Error("ServiceUnavailable: injected, as a crashed invocation");
    }
    const answer = await succeed(taskToken, output);
    completions.push({ taskToken, answer });
    signal.notify();
    return answer;
  };
  const register = InMemoryWaitStore.prototype.register;
  jest.spyOn(InMemoryWaitStore.prototype, "register").mockImplementation(async function (this: InMemoryWaitStore, ...args) {
    const kept = await register.apply(this, args);
    registered++;
    signal.notify();
    return kept;
  });
  poll = setInterval(() => signal.notify(), 50);
  await runtime.start();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner });
  await producer.connect();
});

afterAll(async () => {
  clearInterval(poll);
  await producer?.disconnect();
  await runtime.stop();
});

const start = (context: { name: string }, keys: readonly string[]) => keys.map((key) => runtime.startExecution(context.name, `${key}-exec`, { key }));
const ended = (executions: ReturnType<typeof start>) => Promise.all(executions.map((e) => e.done)).then(() => executions);

it("completes each waiting execution once with its own key's event, whether the event comes before the wait or after", async () => {
  const before = ["before-1", "before-2", "before-3", "before-4", "before-5"];
  const after = ["after-1", "after-2", "after-3", "after-4", "after-5"];
  const startCompletions = completions.length;

  // Events first for `before`: the correlator receives and keeps them before any wait exists.
  const deliveredBefore = correlator().delivered.size;
  await send(before.map((key) => readyRecord(key)));
  await signal.until(() => correlator().delivered.size >= deliveredBefore + 5, "the correlator to receive the 5 early events", 30_000);
  expect(completions.length).toBe(startCompletions);
  // Waits first for `after`.
  const registeredBefore = registered;
  const early = start(waiter, before);
  const late = start(waiter, after);
  await signal.until(() => registered >= registeredBefore + 10, "10 registrations");
  await send(after.map((key) => readyRecord(key)));
  const executions = await ended([...early, ...late]);

  expect(executions.map((e) => [e.name, e.status, (e.output as { ready?: { key: string } } | undefined)?.ready?.key])).toEqual(
    [...before, ...after].map((key) => [`${key}-exec`, "SUCCEEDED", key]),
  );
  const asked = completions.slice(startCompletions);
  expect(asked.map((c) => c.answer)).toEqual(Array(10).fill("completed"));
  expect(new Set(asked.map((c) => c.taskToken)).size).toBe(10);
  expect(runtime.taskTokens.waiting).toBe(0);
});

it("answers each wait once when its event is delivered twice and a second event for its key follows", async () => {
  const keys = ["dup-1", "dup-2", "dup-3", "dup-4", "dup-5"];
  const deliveriesBefore = correlator().deliveries.length;
  const startCompletions = completions.length;
  const registeredBefore = registered;
  const executions = start(waiter, keys);
  await signal.until(() => registered >= registeredBefore + 5, "5 registrations");

  await send(keys.map((key) => readyRecord(key)));
  await send(keys.map((key) => readyRecord(key)));
  await send(keys.map((key) => readyRecord(key, "second")));
  await ended(executions);
  const ofTheseKeys = () => correlator().deliveries.slice(deliveriesBefore).filter((d) => keys.includes(String(d.key)));
  await signal.until(() => ofTheseKeys().length >= 15, "15 deliveries of these keys", 30_000, () => ofTheseKeys().length);

  // Counted before deduplication: 15 records delivered (10 of them twice the same 5 event ids).
  expect(ofTheseKeys()).toHaveLength(15);
  expect(new Set(ofTheseKeys().map((d) => d.id)).size).toBe(10);
  expect(executions.map((e) => [e.status, (e.output as { ready: { note: string } }).ready.note])).toEqual(Array(5).fill(["SUCCEEDED", "first"]));
  expect(completions.slice(startCompletions).map((c) => c.answer)).toEqual(Array(5).fill("completed"));
  expect(correlator().failed).toBe(0);
});

it("fails a wait past its timeout with the error its Catch takes, and takes the late event without error or completion", async () => {
  const keys = ["late-1", "late-2", "late-3"];
  const group = runtime.groups.get(correlatorName(shortWaiter.name))!;
  const executions = await ended(start(shortWaiter, keys));

  expect(executions.map((e) => [e.status, e.error?.name])).toEqual(Array(3).fill(["FAILED", "NotReady"]));
  const startCompletions = completions.length;
  await send(keys.map((key) => readyRecord(key)));
  await signal.until(() => keys.every((key) => [...group.deliveries].some((d) => d.key === key)), "the late events to reach the short waiter's correlator", 30_000);

  // The expired waits are not asked to complete at all: nothing else runs meanwhile.
  expect(completions.slice(startCompletions)).toEqual([]);
  expect({ failed: group.failed, onFailure: group.onFailure, deadLettered: await runtime.deadLettered(correlatorName(shortWaiter.name)) }).toEqual({ failed: 0, onFailure: 0, deadLettered: 0 });
});

it("completes every wait exactly once when the correlator fails mid-stream and is stopped and restarted", async () => {
  const keys = Array.from({ length: 20 }, (_, i) => `crash-${i}`);
  const startCompletions = completions.length;
  const registeredBefore = registered;
  const executions = start(waiter, keys);
  await signal.until(() => registered >= registeredBefore + 20, "20 registrations");

  // The 3rd completion throws, as an invocation that crashes after keeping its event does.
  failingCompletion = startCompletions + 2;
  await send(keys.slice(0, 10).map((key) => readyRecord(key)));
  await signal.until(() => completions.slice(startCompletions).some((c) => c.answer === "threw"), "the injected failure");
  await runtime.stopGroup(correlatorName(waiter.name));
  await send(keys.slice(10).map((key) => readyRecord(key)));
  expect(await runtime.lag(correlatorName(waiter.name))).toBeGreaterThan(0);
  await runtime.startGroup(correlatorName(waiter.name));
  await ended(executions);

  const outcomes = completions.slice(startCompletions);
  const threw = outcomes.filter((c) => c.answer === "threw");
  expect(threw).toHaveLength(1);
  expect(executions.map((e) => e.status)).toEqual(Array(20).fill("SUCCEEDED"));
  const completed = outcomes.filter((c) => c.answer === "completed");
  // The record whose completion threw was delivered again, and that delivery completed the same wait.
  expect(completed.filter((c) => c.taskToken === threw[0]!.taskToken)).toHaveLength(1);
  expect(completed).toHaveLength(20);
  expect(new Set(completed.map((c) => c.taskToken)).size).toBe(20);
  expect(outcomes.filter((c) => c.answer === "gone")).toEqual([]);
});
