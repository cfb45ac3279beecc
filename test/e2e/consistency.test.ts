import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { consumers } from "../../consumers";
import { contexts } from "../../contexts";
import { demoScenario } from "../../contexts/orders/demo";
import { invariants } from "../../invariants";
import { runDemo } from "../../platform/local/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { LocalWorkflowStarter } from "../../platform/local/workflow-starter";
import { names, validate } from "../../platform/model";
import lyingRefund from "../fixtures/lying-refund/consumer";
import refundEverything from "../fixtures/refund-everything/consumer";

const brokers = process.env.KAFKA_BROKERS!.split(",");
const kafka = new Kafka({ clientId: "consistency", brokers, logLevel: logLevel.NOTHING });

/** The records of `topic` whose key starts with `prefix`, from `since` (the end offsets before a run) on. */
async function recordsOf(topic: string, prefix: string, since: Map<number, string>): Promise<{ key: string; value: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const end = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const wanted = end.filter((p) => Number(p.high) > Number(since.get(p.partition) ?? p.low));
  if (wanted.length === 0) return [];
  const consumer = kafka.consumer({ groupId: `read-${randomUUID()}` });
  const found: { key: string; value: string }[] = [];
  const remaining = new Map(wanted.map((p) => [p.partition, Number(p.high)]));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? "";
        if (Number(message.offset) >= Number(since.get(partition) ?? 0) && key.startsWith(prefix)) found.push({ key, value: message.value!.toString() });
        if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  return found;
}

async function endOffsets(topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return new Map(offsets.map((o) => [o.partition, o.high]));
}

describe("consistency across contexts: compensation by events and invariants, on a real broker", () => {
  it("catches a deliberately broken consumer: every invoiced order it refunds violates order-settles-once, reported with the key and the events seen, and on the violations topic", async () => {
    // Prepare: the example, plus a group that refunds invoiced orders.
    const stack = `inv-${randomUUID().slice(0, 6)}`;
    const topology = validate({ contexts, consumers: [...consumers, refundEverything], invariants }, { stack });
    const runtime = new LocalRuntime({ topology, stack, kafka, brokers, startingPosition: "LATEST" });
    await runtime.start();
    const violationsBefore = await endOffsets(names.violationTopic());
    const scenario = demoScenario(20, stack);
    const invoiced = scenario.executions.filter((e) => e.endState === "invoiced").map((e) => e.input.orderId);

    try {
      // Act
      const result = await runDemo(runtime, scenario, { rate: 40, timeoutMs: 120_000 });

      // Assess: one violation per invoiced order, of that invariant and kind, naming both events
      expect(invoiced).toHaveLength(15);
      expect(result.ok).toBe(false);
      expect(result.violations.map((v) => [v.invariant, v.key, v.kind]).sort()).toEqual(invoiced.map((key) => ["order-settles-once", key, "more-than-one"]).sort());
      for (const violation of result.violations) {
        expect(violation.events.map((e) => e.type).sort()).toEqual(["billing.InvoiceIssued", "orders.OrderPlaced", "orders.OrderRefunded"]);
        expect(violation.message).toBe("billing.InvoiceIssued and orders.OrderRefunded both came after orders.OrderPlaced; exactly one of billing.InvoiceIssued or orders.OrderRefunded may.");
      }
      expect(result.problems).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^invariant order-settles-once violated for ${invoiced[0]} \\(more-than-one\\): .* Events seen: `))]));
      // ...and on the violations topic, once each, keyed by the order
      const reported = await recordsOf(names.violationTopic(), `${stack}-`, violationsBefore);
      expect(reported.map((r) => r.key).sort()).toEqual([...invoiced].sort());
      expect(JSON.parse(reported[0]!.value)).toMatchObject({ type: "ensemble.InvariantViolated", source: "invariants", data: { invariant: "order-settles-once", kind: "more-than-one" } });
    } finally {
      await runtime.stop();
    }
  });

  it("stays consistent under a replay: re-reading billing's topic from before the run redelivers every event, changes no end state, repeats no effect and reports no violation", async () => {
    // Prepare: a clean run of the example.
    const stack = `rep-${randomUUID().slice(0, 6)}`;
    const topology = validate({ contexts, consumers, invariants }, { stack });
    const runtime = new LocalRuntime({ topology, stack, kafka, brokers, startingPosition: "LATEST" });
    await runtime.start();
    const billingTopic = names.contextTopic("billing");
    const scenario = demoScenario(20, stack);
    try {
      // The groups have joined (LATEST resolves to now): replay starts from here.
      const before = await endOffsets(billingTopic);
      const result = await runDemo(runtime, scenario, { rate: 40, timeoutMs: 120_000 });
      expect(result.problems).toEqual([]);
      const executions = runtime.executions.length;
      const published = runtime.published.length;
      const readers = [...runtime.plans.values()].filter((plan) => plan.mappings.some((m) => m.topic === billingTopic));
      const deliveriesBefore = new Map(readers.map((plan) => [plan.name, runtime.groups.get(plan.name)!.deliveries.length]));

      // Counted before any deduplication of executions by name: every start a group asks for.
      const starts = jest.spyOn(LocalWorkflowStarter.prototype, "start");

      // Act: every group reading billing's topic replays it from before the run (its offsets reset, as a replay tool does).
      const admin = kafka.admin();
      await admin.connect();
      await Promise.all(readers.map((plan) => runtime.stopGroup(plan.name)));
      for (const plan of readers) {
        const mapping = plan.mappings.find((m) => m.topic === billingTopic)!;
        await admin.setOffsets({ groupId: mapping.groupId, topic: billingTopic, partitions: [...before].map(([partition, offset]) => ({ partition, offset })) });
      }
      await admin.disconnect();
      await Promise.all(readers.map((plan) => runtime.startGroup(plan.name)));
      const caughtUp = async () => (await Promise.all(readers.map((plan) => runtime.lag(plan.name)))).every((lag) => lag === 0);
      const deadline = Date.now() + 60_000;
      while (!(await caughtUp()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

      // Assess: the replay happened: each reader got every billing event of the run it subscribes to again...
      for (const plan of readers) {
        const types = new Set(plan.mappings.find((m) => m.topic === billingTopic)!.types);
        const ids = new Set(runtime.published.filter((e) => e.context === "billing" && types.has(e.type)).map((e) => e.eventId));
        const again = new Set(runtime.groups.get(plan.name)!.deliveries.slice(deliveriesBefore.get(plan.name)!).filter((d) => d.topic === billingTopic).map((d) => d.id));
        expect({ group: plan.name, missing: [...ids].filter((id) => !again.has(id)) }).toEqual({ group: plan.name, missing: [] });
        expect(ids.size).toBeGreaterThan(0);
      }
      // ...and changed nothing: no execution started (refunds and recalls happen once), nothing published, no violation.
      expect(starts).not.toHaveBeenCalled();
      starts.mockRestore();
      expect(runtime.executions.length).toBe(executions);
      expect(runtime.published.length).toBe(published);
      expect(await runtime.settleInvariants()).toEqual([]);
      const reRun = await runDemo(runtime, { ...scenario, executions: [] }, { rate: 40, timeoutMs: 10_000 });
      expect(reRun.violations).toEqual([]);
    } finally {
      await runtime.stop();
    }
  });

  it("holds a group to the events it says its executions reach: an execution that publishes another fails, and publishes nothing", async () => {
    const stack = `rch-${randomUUID().slice(0, 6)}`;
    const topology = validate({ contexts, consumers: [...consumers, lyingRefund], invariants }, { stack });
    const runtime = new LocalRuntime({ topology, stack, kafka, brokers, startingPosition: "LATEST" });
    await runtime.start();
    try {
      const result = await runDemo(runtime, demoScenario(3, stack), { rate: 40, timeoutMs: 60_000 });
      const lied = runtime.executions.filter((e) => e.name.startsWith("lying-refund"));
      expect(lied.map((e) => [e.context, e.status, e.error?.name])).toEqual([
        ["orders", "FAILED", "Ensemble.EventNotReached"],
        ["orders", "FAILED", "Ensemble.EventNotReached"],
        ["orders", "FAILED", "Ensemble.EventNotReached"],
      ]);
      expect(lied[0]!.error!.message).toMatch(/started by group "lying-refund", publishes orders\.OrderPlaced, but the group says its executions reach only orders\.OrderRefunded/);
      expect(runtime.published.filter((e) => e.key.startsWith("again-"))).toEqual([]);
      expect(result.ok).toBe(false);
    } finally {
      await runtime.stop();
    }
  });
});
