/*
 * Injected, into a milestone's publish, with the real workflow Retry, the real publisher (its
 * production client settings) and a function timeout of 4 s, as the local executor enforces it:
 * 1. The broker is frozen (SIGSTOP) while the publisher's request is on its way: the publish takes
 *    longer than the function has, then the broker wakes up (SIGCONT) and appends what it had.
 * 2. The broker is down for longer than the milestone's whole retry budget, then comes back.
 *
 * Observed: (1) the attempts that ran out of time failed with Milestone.PublishFailed and were
 * retried; the execution succeeded; the event is on its topic exactly once, with the id of the
 * occurrence — the retry found the record the frozen attempt left and did not send it again.
 * (2) the execution failed visibly with Milestone.PublishFailed after its retries, and a redrive
 * of that execution published the event exactly once, with the same id.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Admin, Kafka } from "kafkajs";
import * as z from "zod";
import { type ExecutionEvent, LocalStateMachine } from "../../platform/local/state-machine";
import { ensureTopics } from "../../platform/local/topics";
import { defineContext, defineEvent, defineWorkflow, milestone, names, succeed } from "../../platform/model";
import { eventId } from "../../platform/runtime/envelope";
import { MilestoneErrors } from "../../platform/runtime/errors";
import { createKafka } from "../../platform/runtime/kafka";
import { MilestonePublisher, type MilestoneResult } from "../../platform/runtime/publisher";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { FigureFile } from "./support/figures";

jest.setTimeout(240_000);

const FUNCTION_TIMEOUT_SECONDS = 4;

describe("a milestone whose publish outlasts its function, or its whole retry budget", () => {
  const Placed = defineEvent({ name: "Placed", schema: z.object({ orderId: z.string() }) });
  const context = defineContext({
    name: `pub-${runId()}`,
    events: [Placed],
    workflow: defineWorkflow({ StartAt: "Placed", States: { Placed: milestone(Placed, { key: "$.orderId", next: "Done" }), Done: succeed() } }),
  });
  const topic = names.contextTopic(context.name);
  const signal = new Signal();
  const figures = new FigureFile("milestone-publish", { functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS });
  let broker: OwnedBroker;
  let kafka: Kafka;
  let admin: Admin;
  const publishers: MilestonePublisher[] = [];
  const results: MilestoneResult[] = [];
  const failures: { execution: string; error: string; at: number }[] = [];

  beforeAll(async () => {
    broker = await OwnedBroker.start("milestone-publish");
    kafka = createKafka({ brokers: broker.brokers, auth: "none", clientId: "milestone-publish" });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, purpose: "events", owner: context.name }], { partitions: 1 });
  });

  /** Freezes the broker's JVM (SIGSTOP): connections stay open, requests wait in its sockets, nothing answers. */
  const signalBroker = (sig: "SIGSTOP" | "SIGCONT") => process.kill(Number(fs.readFileSync(path.join(broker.stateDir, "broker.pid"), "utf8")), sig);
  let frozen = false;
  const pause = () => ((frozen = true), signalBroker("SIGSTOP"));
  const resume = () => frozen && ((frozen = false), signalBroker("SIGCONT"));

  afterAll(async () => {
    if (broker) resume();
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await admin?.disconnect();
    await broker?.destroy();
  });

  /** The context's state machine with a publisher of its own (its results and failures are kept per execution name). */
  function machine(): LocalStateMachine {
    const publisher = new MilestonePublisher(context, { kafka });
    publishers.push(publisher);
    return new LocalStateMachine(context, {
      stack: "local",
      functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
      publisher: {
        publish: async (input, options) => {
          const result = await publisher.publish(input, options);
          results.push(result);
          return result;
        },
      },
      observer: {
        onEvent: (execution, event: ExecutionEvent) => {
          if (event.type === "StateFailed") failures.push({ execution: execution.name, error: event.Error, at: Date.now() });
          signal.notify();
        },
      },
    });
  }

  /** Every record of the topic carrying `id`. */
  async function recordsWithId(id: string): Promise<number> {
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
    const consumer = kafka.consumer({ groupId: `reader-${runId()}` });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void (values.push(message.value!.toString()), signal.notify()) });
    await signal.until(() => values.length >= total, `the ${total} records of ${topic}`, 30_000);
    await consumer.disconnect();
    return values.filter((value) => (JSON.parse(value) as { id: string }).id === id).length;
  }

  it("retries a publish frozen past the function timeout, and the event is on the topic once", async () => {
    // Prepare: the publisher's producer is connected (one event of another order), then the broker freezes
    const states = machine();
    await states.start("warm-up", { orderId: "o-warm" }).done;
    pause();

    // Act: the milestone runs into the frozen broker; it wakes up after 2 function timeouts
    const execution = states.start("frozen", { orderId: "o-frozen" });
    try {
      await signal.until(() => failures.filter((f) => f.execution === "frozen").length >= 2, "two attempts to fail", 60_000);
    } finally {
      resume();
    }
    await execution.done;

    // Assess: the attempts that met the frozen broker failed as PublishFailed, within the function's time
    const failed = failures.filter((f) => f.execution === "frozen");
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((f) => f.error === MilestoneErrors.PublishFailed)).toBe(true);
    expect(execution.status).toBe("SUCCEEDED");
    // ...and the event is on the topic once, with the occurrence's id
    const id = eventId({ executionId: execution.executionArn, state: "Placed" });
    // The frozen attempt's request was appended when the broker woke up; the retry found it there.
    expect(results.filter((r) => r.eventId === id)).toEqual([expect.objectContaining({ alreadyPublished: true })]);
    const onTopic = await recordsWithId(id);
    expect(onTopic).toBe(1);
    figures.set("frozen", { failedAttempts: failed.length, recordsWithId: onTopic, foundByCheck: results.find((r) => r.eventId === id)!.alreadyPublished });
  });

  it("fails visibly once the broker is down longer than the retry budget, and a redrive publishes once", async () => {
    // Prepare
    const states = machine();
    await broker.stop();

    // Act: every attempt meets a closed port; then the broker is back and the execution is redriven
    const execution = states.start("outage", { orderId: "o-outage" });
    await execution.done;
    const failedWith = execution.error;
    const attempts = failures.filter((f) => f.execution === "outage").length;
    await broker.restart();
    await states.redrive("outage");
    await execution.done;

    // Assess: failed with the publisher's named error after 1 + 6 attempts; the redrive published it once
    expect(failedWith).toMatchObject({ name: MilestoneErrors.PublishFailed });
    expect(attempts).toBe(7);
    expect(execution.status).toBe("SUCCEEDED");
    const id = eventId({ executionId: execution.executionArn, state: "Placed" });
    expect(results.filter((r) => r.eventId === id)).toEqual([expect.objectContaining({ eventId: id, alreadyPublished: false })]);
    const onTopic = await recordsWithId(id);
    expect(onTopic).toBe(1);
    figures.set("outage", { failedAttempts: attempts, error: failedWith?.name, redriven: true, recordsWithId: onTopic });
  });
});
