import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { outbox } from "../../consumers/notify-customer/handler";
import { demoScenario } from "../../contexts/orders/demo";
import { runDemo, takeSnapshot } from "../../platform/local/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { validate } from "../../platform/model";
import { topology } from "../../topology";
import { entityOrder } from "../support/order";

const SLOW = "audit-archive";

/** Polls `check` (a real condition, not a timer) until it holds or `timeoutMs` passes. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the choreography, end to end on a real broker through the local runtime", () => {
  // A stack of its own: fresh consumer group ids on a broker that may have served other runs.
  const stack = `e2e-${randomUUID().slice(0, 6)}`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: "e2e", brokers, logLevel: logLevel.NOTHING });
  // LATEST: the broker is shared with other test files, whose events stay in the same topics.
  const runtime = new LocalRuntime({ topology: validate(topology, { stack }), stack, kafka, brokers, startingPosition: "LATEST" });
  const send = jest.spyOn(outbox, "send");

  beforeAll(async () => {
    await runtime.start();
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it("turns 40 orders with a known mix into exactly the expected executions, milestones and deliveries", async () => {
    // Prepare
    const scenario = demoScenario(40, "mix");
    // Placed orders: invoiced, or (an unbillable currency) compensated by refund and recall.
    const placed = scenario.executions.filter((e) => e.outcome === "placed" || e.outcome === "unbillable");
    const compensated = scenario.executions.filter((e) => e.endState === "compensated");
    const lines = placed.reduce((sum, e) => sum + e.input.lines.length, 0);

    // Act
    const result = await runDemo(runtime, scenario, { rate: 40, timeoutMs: 120_000 });

    // Assess: executions
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    const byContext = Object.fromEntries(result.last.contexts.map((c) => [c.name, { succeeded: c.succeeded, failed: c.failed, running: c.running }]));
    // Compensation runs the orders (refund) and shipping (recall) workflows once more per compensated order.
    expect(byContext).toEqual({
      orders: { succeeded: placed.length + compensated.length, failed: 40 - placed.length, running: 0 },
      shipping: { succeeded: placed.length + compensated.length, failed: 0, running: 0 },
      billing: { succeeded: placed.length - compensated.length, failed: compensated.length, running: 0 },
    });
    expect(placed).toHaveLength(32);
    expect(compensated.map((e) => e.input.orderId)).toEqual(["mix-00017", "mix-00037"]);
    expect(result.endStates).toEqual({ invoiced: 30, compensated: 2, rejected: 8 });
    expect(result.violations).toEqual([]);

    // Assess: milestones
    expect(result.last.milestones).toEqual({
      "orders.OrderPlaced": 32,
      "orders.OrderRejected": 8,
      "shipping.ShipmentScheduled": 32,
      "shipping.LinePacked": lines,
      "shipping.ShipmentDispatched": 32,
      "billing.InvoiceIssued": 30,
      "billing.InvoiceFailed": 2,
      "orders.OrderRefunded": 2,
      "shipping.ShipmentRecalled": 2,
    });
    expect(new Set(runtime.published.map((e) => e.eventId)).size).toBe(runtime.published.length);

    // Assess: each invoice waited for its own order's dispatch, and no wait is left open
    const billed = runtime.executions.filter((e) => e.context === "billing" && e.status === "SUCCEEDED" && (e.input as { orderId: string }).orderId.startsWith("mix-"));
    expect(billed).toHaveLength(30);
    for (const execution of billed) {
      const { orderId } = execution.input as { orderId: string };
      expect({ orderId, dispatched: (execution.output as { shipmentId: string }).shipmentId }).toEqual({ orderId, dispatched: expect.stringContaining(orderId) });
    }
    expect(runtime.taskTokens.waiting).toBe(0);

    // Assess: every group got every event it subscribes to, and none it does not
    for (const [name, group] of runtime.groups) {
      const subscribed = runtime.subscriptions.get(name)!;
      const expected = runtime.published.filter((e) => subscribed.has(e.type)).map((e) => e.eventId);
      expect({ name, received: [...group.delivered.keys()].sort() }).toEqual({ name, received: [...expected].sort() });
      expect({ name, unsubscribed: [...group.delivered.values()].filter((type) => !subscribed.has(type)) }).toEqual({ name, unsubscribed: [] });
    }
  });

  it("keeps each entity's events in order for every group", () => {
    for (const [name, group] of runtime.groups) {
      const { entities, unordered } = entityOrder(group.deliveries);
      expect(entities).toBeGreaterThan(0);
      expect({ name, unordered }).toEqual({ name, unordered: [] });
    }
  });

  it("lets the slow group lag while the others stay current", async () => {
    // Prepare: every group but the slow one, batching windows (analytics 2 s, sales-ledger 5 s) included
    const fast = [...runtime.groups.keys()].filter((name) => name !== SLOW);
    expect(fast).toHaveLength(9);

    // Act: ~750 events, which take the slow group (25 ms a record, one poller) well over 15 s
    const scenario = demoScenario(150, "lag");
    const started = scenario.executions.map((e) => runtime.startExecution(scenario.context, e.name, e.input));
    await Promise.all(started.map((e) => e.done));

    // Assess: when every other group has caught up with everything published...
    let lags: Record<string, number> = {};
    await until("every group but the slow one to catch up", async () => {
      const snapshot = await takeSnapshot(runtime, 0, 0, Date.now());
      lags = Object.fromEntries(snapshot.groups.map((g) => [g.name, g.lag]));
      const executionsDone = snapshot.contexts.every((c) => c.running === 0);
      return executionsDone && fast.every((name) => lags[name] === 0);
    });
    // ...the slow one is still behind, and only it.
    expect(lags[SLOW]).toBeGreaterThan(0);
    for (const name of fast) expect({ name, lag: lags[name] }).toEqual({ name, lag: 0 });

    // Assess: it drains on its own
    await until("the slow group to drain", async () => (await runtime.lag(SLOW)) === 0, 120_000);
  });

  it("loses nothing and repeats no effect when a group is stopped and restarted mid-stream", async () => {
    // Prepare
    const group = runtime.groups.get("notify-customer")!;
    const scenario = demoScenario(40, "restart");
    send.mockClear();

    // Act: stop the group once it is part-way through the stream
    const run = runDemo(runtime, scenario, { rate: 20, timeoutMs: 120_000 });
    const before = group.delivered.size;
    await until("notify-customer to be part-way", () => group.delivered.size >= before + 10);
    await runtime.stopGroup("notify-customer");
    const deliveredWhileRunning = group.delivered.size - before;
    await until("the others to publish while it is stopped", async () => (await runtime.lag("notify-customer")) > 0);
    await runtime.startGroup("notify-customer");
    const result = await run;

    // Assess
    expect(result.problems).toEqual([]);
    // Every entity key of this scenario (order, shipment, invoice) carries its order id.
    const expected = runtime.published.filter((e) => e.key.includes("restart-") && runtime.subscriptions.get("notify-customer")!.has(e.type));
    expect(deliveredWhileRunning).toBeGreaterThanOrEqual(10);
    expect(deliveredWhileRunning).toBeLessThan(expected.length);
    // every event of this scenario reached the group, and each had its effect exactly once
    for (const event of expected) expect(group.delivered.has(event.eventId)).toBe(true);
    const calls = send.mock.calls.map(([type, notification]) => `${type}/${notification.orderId}`);
    expect(calls.length).toBe(new Set(calls).size);
    expect(calls.length).toBe(expected.length);
  });
});
