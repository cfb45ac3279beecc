/*
 * Injected: the broker is stopped before an order's execution reaches its milestone, so the
 * milestone publisher cannot connect; it is started again (same port, same data) once the
 * milestone state has failed.
 *
 * Observed: the milestone task failed with the named retryable error Milestone.PublishFailed, the
 * real orders workflow's Retry (milestoneRetry) retried the state, and the retry published once
 * the broker was back; the execution and the shipping and billing executions it triggers
 * succeeded; the topic holds the event id once, and every subscribed group received it once.
 * No group reported a failed record, so no partial batch response was read: the scenario runs
 * under the default reading only, as the other reading could not change it. Figures:
 * test-results/failure-publisher-unreachable.json.
 */
import { demoScenario } from "../../contexts/orders/demo";
import type { ExecutionEvent, LocalExecution } from "../../platform/local/state-machine";
import { LocalRuntime } from "../../platform/local/runtime";
import { names, validate } from "../../platform/model";
import { milestoneRetry } from "../../platform/model/workflow-states";
import { MilestoneErrors } from "../../platform/runtime";
import { topology } from "../../topology";
import { consumeUntil } from "../support/kafka";
import { recordCount } from "../support/runtime";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { FigureFile } from "./support/figures";

jest.setTimeout(120_000);

describe("a milestone while the broker is unreachable", () => {
  const stack = `unreachable-${runId()}`;
  const signal = new Signal();
  const figures = new FigureFile("publisher-unreachable", { injected: "broker stopped before a milestone, restarted once the milestone state had failed" });
  const history = new Map<string, ExecutionEvent[]>();
  let broker: OwnedBroker;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    broker = await OwnedBroker.start("unreachable");
    const observer = {
      onEvent: (execution: LocalExecution, event: ExecutionEvent) => {
        history.set(execution.name, [...(history.get(execution.name) ?? []), event]);
        signal.notify();
      },
      onEnded: () => signal.notify(),
    };
    runtime = new LocalRuntime({
      topology: validate(topology, { stack }),
      stack,
      kafka: broker.kafka("unreachable"),
      brokers: broker.brokers,
      observer,
      // The stack's function timeout, which the mappings' session timeout follows: the restarted
      // broker still remembers each group's old member, and hands its partitions over after it.
      functionTimeoutSeconds: 3,
    });
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await broker?.destroy();
  });

  it("fails the milestone with Milestone.PublishFailed, retries it, and publishes exactly once when the broker is back", async () => {
    // Prepare: an order that will be placed
    const order = demoScenario(1, `unreachable-${runId()}`).executions[0]!;
    expect(order.expect).toBe("SUCCEEDED");
    const events = () => history.get(order.name) ?? [];
    const failures = () => events().filter((e) => e.type === "StateFailed" && e.state.name === "Placed" && e.Error === MilestoneErrors.PublishFailed);
    const poll = setInterval(() => signal.notify(), 200);

    try {
      // Act: the broker goes away, then the order runs into its milestone
      await broker.stop();
      const execution = runtime.startExecution("orders", order.name, order.input);
      await signal.until(() => failures().length > 0, "the Placed milestone to fail with Milestone.PublishFailed", 60_000, () => events().map((e) => e.type));
      await broker.restart();
      await signal.until(() => execution.status !== "RUNNING", "the order's execution to end", 60_000);

      // Assess: the milestone failed, was retried by the workflow's own Retry, then went through
      expect(execution.status).toBe("SUCCEEDED");
      const placed = events()
        .filter((e) => "state" in e && e.state.name === "Placed")
        .map((e) => (e.type === "StateFailed" ? `${e.type}:${e.Error}` : e.type));
      const retried = events().filter((e) => e.type === "StateRetried" && e.state.name === "Placed");
      expect(placed[0]).toBe("StateEntered");
      expect(placed.at(-1)).toBe("StateExited");
      expect(placed.slice(1, -1)).toEqual(retried.flatMap(() => [`StateFailed:${MilestoneErrors.PublishFailed}`, "StateRetried"]));
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(retried.length).toBeLessThanOrEqual(milestoneRetry[0]!.MaxAttempts!);
      for (const [index, event] of retried.entries()) {
        expect(event.type === "StateRetried" && event.retry).toEqual({ retrier: milestoneRetry[0], attempt: index + 1 });
      }

      // Assess: one event, once on the topic, once to every subscribed group; the choreography went on
      const published = runtime.published.filter((e) => e.key === order.input.orderId && e.type === "orders.OrderPlaced");
      expect(published).toHaveLength(1);
      const eventId = published[0]!.eventId;
      const subscribers = [...runtime.subscriptions].filter(([, types]) => types.has("orders.OrderPlaced")).map(([name]) => name);
      await signal.until(() => subscribers.every((name) => runtime.groups.get(name)!.delivered.has(eventId)), "every subscriber to receive the event", 60_000);
      for (const name of subscribers) {
        const deliveries = runtime.groups.get(name)!.deliveries.filter((d) => d.id === eventId);
        expect({ name, deliveries: deliveries.length }).toEqual({ name, deliveries: 1 });
      }
      const topic = names.contextTopic("orders");
      const kafka = broker.kafka("unreachable-reader");
      const admin = kafka.admin();
      const reader = kafka.consumer({ groupId: `reader-${runId()}` });
      await Promise.all([admin.connect(), reader.connect()]);
      const onTopic = await consumeUntil(reader, topic, await recordCount(admin, topic), 30_000);
      await Promise.all([admin.disconnect(), reader.disconnect()]);
      const ids = onTopic.map((r) => (JSON.parse(r.message.value!.toString()) as { id: string }).id);
      expect(ids.filter((id) => id === eventId)).toHaveLength(1);
      await signal.until(() => runtime.executions.length === 3 && runtime.executions.every((e) => e.status !== "RUNNING"), "shipping and billing to end", 60_000);
      expect(runtime.executions.map((e) => [e.context, e.status])).toEqual([
        ["orders", "SUCCEEDED"],
        ["shipping", "SUCCEEDED"],
        ["billing", "SUCCEEDED"],
      ]);

      // Assess: no group reported a failed record, so no partial batch response was read, and the
      // reading of one (the mappings' partialBatchReading) cannot change this scenario's outcome
      await signal.until(() => [...runtime.groups.keys()].every((name) => runtime.published.every((e) => !runtime.subscriptions.get(name)!.has(e.type) || runtime.groups.get(name)!.delivered.has(e.eventId))), "every group to receive every event", 60_000);
      expect([...runtime.groups.values()].map((g) => [g.name, g.failed, g.onFailure])).toEqual([...runtime.groups.keys()].map((name) => [name, 0, 0]));

      figures.set("figures", {
        milestoneAttempts: placed.filter((e) => e === "StateEntered" || e === "StateRetried").length,
        publishFailures: failures().length,
        published: runtime.published.length,
        onTopic: ids.filter((id) => id === eventId).length,
        groups: Object.fromEntries(
          [...runtime.groups].map(([name, group]) => [
            name,
            { expected: runtime.published.filter((e) => runtime.subscriptions.get(name)!.has(e.type)).length, deliveries: group.deliveries.length, distinctDelivered: group.delivered.size, failedRecords: group.failed, deadLettered: group.onFailure },
          ]),
        ),
      });
    } finally {
      clearInterval(poll);
    }
  });
});
