/*
 * Injected: the broker is stopped (a clean shutdown) while a stream of 60 orders runs through the
 * whole topology — orders, shipping and billing state machines, six consumer groups — and started
 * again on the same port with the same data once the outage has been felt.
 *
 * Observed: milestone publishes failed with Milestone.PublishFailed during the outage and were
 * retried by the workflows; after recovery every execution ended as its order expects, every
 * published event reached every group that subscribes to it, each group's effect happened exactly
 * once per event id (redeliveries were skipped by idempotency), each workflow-starting group
 * started exactly one execution per event, and every group's lag is back to 0.
 */
import { archive } from "../../consumers/audit-archive/handler";
import { counts } from "../../consumers/analytics/handler";
import { outbox } from "../../consumers/notify-customer/handler";
import { ledger } from "../../consumers/sales-ledger/handler";
import { demoScenario } from "../../contexts/orders/demo";
import { runDemo } from "../../platform/local/demo";
import type { ExecutionEvent, LocalExecution } from "../../platform/local/executor";
import { LocalRuntime } from "../../platform/local/runtime";
import { validate } from "../../platform/model";
import { executionName, MilestoneErrors } from "../../platform/runtime";
import { topology } from "../../topology";
import { entityOrder } from "../support/order";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { tally } from "./support/effects";

jest.setTimeout(150_000);

/** Long enough for sales-ledger's 5 s batching window; short enough to recover in seconds. */
const SESSION_TIMEOUT_MS = 10_000;

describe("a broker restart in the middle of a stream of milestones", () => {
  const stack = `restart-${runId()}`;
  const signal = new Signal();
  const publishFailures: { context: string; execution: string; state: string }[] = [];
  let broker: OwnedBroker;
  let runtime: LocalRuntime;

  // Effects, counted per event id where the handler's own bookkeeping would hide a second run.
  const analytics = jest.spyOn(counts, "record");
  const audit = jest.spyOn(archive, "append");
  const notify = jest.spyOn(outbox, "send");
  const book = jest.spyOn(ledger, "book");

  beforeAll(async () => {
    broker = await OwnedBroker.start("restart");
    const observer = {
      onEvent: (execution: LocalExecution, event: ExecutionEvent) => {
        if (event.type === "StateFailed" && event.Error === MilestoneErrors.PublishFailed) {
          publishFailures.push({ context: execution.context, execution: execution.name, state: event.state.name });
          signal.notify();
        }
      },
    };
    runtime = new LocalRuntime({
      topology: validate(topology, { stack }),
      stack,
      kafka: broker.kafka("restart"),
      brokers: broker.brokers,
      observer,
      // The restarted broker still remembers the old members of each group; they are dropped after this.
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
    });
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await broker?.destroy();
    jest.restoreAllMocks();
  });

  it("loses no event, repeats no effect and ends every execution as expected", async () => {
    // Prepare
    const scenario = demoScenario(60, "restart");
    const notifyGroup = runtime.groups.get("notify-customer")!;
    const poll = setInterval(() => signal.notify(), 100);

    // Act: stop the broker once orders are flowing and consumers have received some of them
    const demo = runDemo(runtime, scenario, { rate: 10, timeoutMs: 120_000 });
    try {
      await signal.until(() => notifyGroup.delivered.size >= 5, "notify-customer to receive 5 events", 30_000);
      const startedBeforeOutage = runtime.executions.filter((e) => e.context === "orders").length;
      await broker.stop();
      // The outage is felt: a milestone could not be published.
      await signal.until(() => publishFailures.length > 0, "a milestone publish to fail", 60_000);
      await broker.restart();
      const result = await demo;

      // Assess: the outage hit the stream in the middle, and milestones (only they) could not publish
      expect(startedBeforeOutage).toBeLessThan(scenario.executions.length);
      const milestones = new Set([...runtime.machines.values()].flatMap((m) => m.context.workflow!.milestones.map((state) => `${m.context.name}.${state.state}`)));
      expect(publishFailures.filter((f) => !milestones.has(`${f.context}.${f.state}`))).toEqual([]);

      // Assess: executions ended as expected, every event reached every subscribed group
      expect(result.problems).toEqual([]);
      const placed = scenario.executions.filter((e) => e.expect === "SUCCEEDED").length;
      const byContext = Object.fromEntries(result.last.contexts.map((c) => [c.name, { succeeded: c.succeeded, failed: c.failed, running: c.running }]));
      expect(byContext).toEqual({
        orders: { succeeded: placed, failed: 60 - placed, running: 0 },
        shipping: { succeeded: placed, failed: 0, running: 0 },
        billing: { succeeded: placed, failed: 0, running: 0 },
      });
      const ids = runtime.published.map((e) => e.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const [name, group] of runtime.groups) {
        const subscribed = runtime.subscriptions.get(name)!;
        const expected = runtime.published.filter((e) => subscribed.has(e.type)).map((e) => e.eventId).sort();
        expect({ name, received: [...group.delivered.keys()].sort() }).toEqual({ name, received: expected });
      }

      // Assess: each entity's events in publish order for every group, despite the outage
      for (const [name, group] of runtime.groups) {
        const { entities, unordered } = entityOrder(group.deliveries);
        expect({ name, entities: entities > 0, unordered }).toEqual({ name, entities: true, unordered: [] });
      }

      // Assess: each effect once per event id
      const all = [...ids].sort();
      expect(tally(analytics.mock.calls.map(([event]) => event.id))).toEqual({ ids: all, repeated: [] });
      expect(tally(audit.mock.calls.map(([, entry]) => entry.eventId))).toEqual({ ids: all, repeated: [] });
      const bookedIds = book.mock.calls.map(([event]) => (event as unknown as { id: string }).id);
      const placedIds = runtime.published.filter((e) => e.type === "orders.OrderPlaced").map((e) => e.eventId).sort();
      expect(tally(bookedIds)).toEqual({ ids: placedIds, repeated: [] });
      const notifySubscribed = runtime.subscriptions.get("notify-customer")!;
      // The outbox is keyed by event type and order: one per subscribed event.
      const notifications = notify.mock.calls.map(([type, notification]) => `${type}/${notification.orderId}`);
      expect(tally(notifications).repeated).toEqual([]);
      expect(notifications).toHaveLength(runtime.published.filter((e) => notifySubscribed.has(e.type)).length);

      // Assess: one execution started per event by the workflow-starting groups
      const shipping = runtime.machines.get("shipping")!.all.map((e) => e.name).sort();
      expect(shipping).toEqual(runtime.published.filter((e) => e.type === "orders.OrderPlaced").map((e) => executionName("start-shipping", e.eventId)).sort());
      const billing = runtime.machines.get("billing")!.all.map((e) => e.name).sort();
      expect(billing).toEqual(runtime.published.filter((e) => e.type === "shipping.ShipmentDispatched").map((e) => executionName("start-billing", e.eventId)).sort());

      // Assess: every group is current again
      for (const name of runtime.groups.keys()) expect({ name, lag: await runtime.lag(name) }).toEqual({ name, lag: 0 });
    } finally {
      clearInterval(poll);
      await demo.catch(() => undefined);
    }
  });
});
