/*
 * Injected: a burst. Milestones of the orders context are published at a steady rate R for a
 * while, then at 10R for a few seconds, then not at all; four consumer groups with their real
 * handlers and settings read them (notify-customer, sales-ledger, analytics, and audit-archive,
 * which is deliberately slow: 25 ms a record, one poller).
 *
 * Observed: every published event reached every group that subscribes to it, each effect once
 * (counted per call, before any deduplication); every group's lag went back to 0; no group
 * reported a failed record, so the reading of partial batch responses cannot matter here and the
 * test runs under the default one. The figures — the rates achieved, each group's peak lag, how
 * long after the burst it was current again and its throughput — go to
 * test-results/failure-burst.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { consumers } from "../../consumers";
import { counts } from "../../consumers/analytics/handler";
import { archive } from "../../consumers/audit-archive/handler";
import { outbox } from "../../consumers/notify-customer/handler";
import { ledger } from "../../consumers/sales-ledger/handler";
import { contexts } from "../../contexts";
import orders from "../../contexts/orders/context";
import { demoScenario } from "../../contexts/orders/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { validate } from "../../platform/model";
import { MilestonePublisher } from "../../platform/runtime/publisher";
import { entityOrder } from "../support/order";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { tally } from "./support/effects";

jest.setTimeout(150_000);

/** Events a second before and after the burst. */
const STEADY_RATE = 20;
const STEADY_SECONDS = 4;
const BURST_RATE = STEADY_RATE * 10;
const BURST_SECONDS = 3;
/** How often lag is sampled for the figures. */
const SAMPLE_MS = 250;
const GROUPS = ["notify-customer", "sales-ledger", "analytics", "audit-archive"];
const RESULTS = path.resolve(__dirname, "../../test-results/failure-burst.json");

interface Published {
  readonly eventId: string;
  readonly type: string;
  /** The order id. */
  readonly key: string;
  readonly at: number;
}

describe("a burst of 10x the steady rate", () => {
  const stack = `burst-${runId()}`;
  const signal = new Signal();
  let broker: OwnedBroker;
  let runtime: LocalRuntime;
  let publisher: MilestonePublisher;
  // Each group's effect, one entry per call, before any deduplication: archive.has is
  // audit-archive's first act per run, before its own check could hide a second one.
  const analytics = jest.spyOn(counts, "record");
  const audit = jest.spyOn(archive, "has");
  const notify = jest.spyOn(outbox, "send");
  const book = jest.spyOn(ledger, "book");

  beforeAll(async () => {
    broker = await OwnedBroker.start("burst");
    // The groups that read orders' events and start no workflow: the burst stays a burst of orders events.
    const topology = validate({ contexts, consumers: consumers.filter((c) => GROUPS.includes(c.name)) }, { stack });
    runtime = new LocalRuntime({ topology, stack, kafka: broker.kafka("burst"), brokers: broker.brokers });
    await runtime.start();
    publisher = new MilestonePublisher(orders, { kafka: broker.kafka("burst-publisher") });
  });

  afterAll(async () => {
    await publisher?.close();
    await runtime?.stop();
    await broker?.destroy();
    jest.restoreAllMocks();
  });

  it("loses nothing, and every group's lag returns to 0", async () => {
    // Prepare: one milestone per order, placed or rejected as the demo mix has it
    const total = STEADY_RATE * STEADY_SECONDS + BURST_RATE * BURST_SECONDS;
    const scenario = demoScenario(total, `burst-${runId()}`).executions;
    const published: Published[] = [];
    const publish = async (index: number) => {
      const order = scenario[index]!;
      const placed = order.expect === "SUCCEEDED";
      const { orderId, customerId, lines, currency } = order.input;
      const result = await publisher.publish({
        type: placed ? "orders.OrderPlaced" : "orders.OrderRejected",
        key: orderId,
        data: placed ? { orderId, customerId, lines, totalCents: 1_000 + index, currency } : { orderId, customerId, reason: "payment-declined" },
        executionId: `arn:aws:states:local:000000000000:execution:${stack}-orders:${order.name}`,
        state: placed ? "Placed" : "Rejected",
      });
      published.push({ eventId: result.eventId, type: placed ? "orders.OrderPlaced" : "orders.OrderRejected", key: orderId, at: Date.now() });
    };
    const samples: { at: number; lag: Record<string, number> }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const lag = Object.fromEntries(await Promise.all(GROUPS.map(async (name) => [name, await runtime.lag(name)] as const)));
        samples.push({ at: Date.now(), lag });
        signal.notify();
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      }
    })();

    // Act: R for STEADY_SECONDS, then 10R for BURST_SECONDS, each event sent when it is due
    const startedAt = Date.now();
    const schedule = [
      ...Array.from({ length: STEADY_RATE * STEADY_SECONDS }, (_, i) => startedAt + (i * 1000) / STEADY_RATE),
      ...Array.from({ length: BURST_RATE * BURST_SECONDS }, (_, i) => startedAt + STEADY_SECONDS * 1000 + (i * 1000) / BURST_RATE),
    ];
    const sends: Promise<void>[] = [];
    for (const [index, due] of schedule.entries()) {
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      sends.push(publish(index));
    }
    await Promise.all(sends);
    const burstStart = startedAt + STEADY_SECONDS * 1000;
    const burstEnd = Math.max(...published.map((p) => p.at));

    const expected = (name: string) => {
      const types = runtime.subscriptions.get(name)!;
      return published.filter((p) => types.has(p.type)).map((p) => p.eventId);
    };
    const current = (name: string) => expected(name).every((id) => runtime.groups.get(name)!.delivered.has(id));
    const drainedAt = new Map<string, number>();
    await signal.until(
      () => {
        const last = samples.at(-1);
        for (const name of GROUPS) if (!drainedAt.has(name) && last && last.at > burstEnd && last.lag[name] === 0 && current(name)) drainedAt.set(name, last.at);
        return drainedAt.size === GROUPS.length;
      },
      "every group to be current after the burst",
      90_000,
      () => samples.at(-1),
    );
    sampling = false;
    await sampler;

    // Assess: nothing lost, each effect once, lag back to 0; no group reported a failed record, so no
    // partial batch response was read and its reading cannot change this scenario (run under the default)
    for (const name of GROUPS) {
      const group = runtime.groups.get(name)!;
      expect({ name, received: [...group.delivered.keys()].sort() }).toEqual({ name, received: expected(name).sort() });
      expect({ name, lag: await runtime.lag(name), failed: group.failed, onFailure: group.onFailure }).toEqual({ name, lag: 0, failed: 0, onFailure: 0 });
    }
    expect(tally(analytics.mock.calls.map(([event]) => event.id))).toEqual({ ids: expected("analytics").sort(), repeated: [] });
    expect(tally(audit.mock.calls.map(([eventId]) => eventId))).toEqual({ ids: expected("audit-archive").sort(), repeated: [] });
    expect(tally(book.mock.calls.map(([event]) => (event as unknown as { id: string }).id))).toEqual({ ids: expected("sales-ledger").sort(), repeated: [] });
    // The outbox is keyed by event type and order: one notification per subscribed event.
    const notifySubscribed = runtime.subscriptions.get("notify-customer")!;
    const notifications = notify.mock.calls.map(([type, notification]) => `${type}/${notification.orderId}`);
    const toNotify = published.filter((p) => notifySubscribed.has(p.type)).map((p) => `${p.type}/${p.key}`);
    expect(tally(notifications)).toEqual({ ids: [...toNotify].sort(), repeated: [] });
    // Each order's events in publish order, for every group, through the burst
    for (const name of GROUPS) {
      const { entities, unordered } = entityOrder(runtime.groups.get(name)!.deliveries);
      expect({ name, entities: entities > 0, unordered }).toEqual({ name, entities: true, unordered: [] });
    }
    expect(published).toHaveLength(total);

    // Record the figures
    const seconds = (ms: number) => Math.round(ms) / 1000;
    const rate = (count: number, ms: number) => Math.round((count * 1000) / Math.max(ms, 1));
    const steady = published.filter((p) => p.at < burstStart);
    const burst = published.filter((p) => p.at >= burstStart);
    const figures = {
      recordedAt: new Date().toISOString(),
      broker: "host (scripts/kafka-host.sh), single node",
      partitions: 3,
      steady: { targetPerSecond: STEADY_RATE, seconds: STEADY_SECONDS, published: steady.length, achievedPerSecond: rate(steady.length, burstStart - startedAt) },
      burst: { targetPerSecond: BURST_RATE, seconds: BURST_SECONDS, published: burst.length, achievedPerSecond: rate(burst.length, burstEnd - burstStart), tookSeconds: seconds(burstEnd - burstStart) },
      groups: Object.fromEntries(
        GROUPS.map((name) => {
          const group = runtime.groups.get(name)!;
          const effects = { analytics, "audit-archive": audit, "notify-customer": notify, "sales-ledger": book }[name]!.mock.calls.length;
          const peak = samples.reduce((best, s) => (s.lag[name]! > best.lag ? { lag: s.lag[name]!, at: s.at } : best), { lag: 0, at: startedAt });
          // What it had to work off from the burst's start until it was current: its lag then, and what the burst added.
          const lagAtBurstStart = samples.filter((s) => s.at <= burstStart).at(-1)?.lag[name] ?? 0;
          const types = runtime.subscriptions.get(name)!;
          const work = lagAtBurstStart + burst.filter((p) => types.has(p.type)).length;
          return [
            name,
            {
              expected: expected(name).length,
              deliveries: group.deliveries.length,
              redeliveries: group.deliveries.length - group.delivered.size,
              effects,
              failedRecords: group.failed,
              deadLettered: group.onFailure,
              peakLag: peak.lag,
              peakLagSecondsAfterBurstStart: seconds(peak.at - burstStart),
              currentSecondsAfterBurstEnd: seconds(drainedAt.get(name)! - burstEnd),
              catchUpEventsPerSecond: rate(work, drainedAt.get(name)! - burstStart),
            },
          ];
        }),
      ),
      lagSamples: samples.map((s) => ({ t: seconds(s.at - startedAt), ...s.lag })),
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
    expect(figures.groups["audit-archive"]!.peakLag).toBeGreaterThan(0);
  });
});
