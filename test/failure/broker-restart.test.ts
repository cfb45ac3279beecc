/*
 * Injected: the broker is stopped (a clean shutdown, SIGTERM) while a stream of 40 orders runs
 * through the whole topology — orders, shipping and billing state machines, six consumer groups
 * with their real handlers — and started again on the same port with the same data once the
 * outage has been felt. Once per reading of partial batch responses, each on a broker of its own.
 *
 * Why a redelivery is certain, not likely: audit-archive (one poller per mapping, 25 ms an event)
 * is kept off until a backlog has built up, so its first invocations carry full batches; one of
 * them (its mappings invoke it concurrently, as on AWS, so each invocation's runs are told apart
 * by their async context) is
 * held at the idempotency claim of its fifth record, after four effects, and the broker is
 * stopped under it. Released, the batch has its effects and its commit fails; the broker is
 * started again only once that mapping's Kafka consumer has crashed, which drops the positions it
 * held in memory, so it resumes from the committed offset, before the batch, and the whole batch
 * is delivered again.
 *
 * Observed, under each reading: milestone publishes failed with Milestone.PublishFailed during
 * the outage and were retried by the workflows; every execution ended as its order expects; every
 * published event reached every group that subscribes to it; each group's effect happened exactly
 * once per event (counted per call, before any deduplication, the handlers' own included); every
 * record of the held batch was delivered to audit-archive again and the wrapper skipped them
 * (BatchStats `duplicates`); each workflow-starting group asked to start one execution per event;
 * nothing was dead-lettered and every group's lag is back to 0. Figures:
 * test-results/failure-broker-restart.json.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { counts } from "../../consumers/analytics/handler";
import { archive } from "../../consumers/audit-archive/handler";
import { outbox } from "../../consumers/notify-customer/handler";
import { ledger } from "../../consumers/sales-ledger/handler";
import { demoScenario } from "../../contexts/orders/demo";
import { runDemo } from "../../platform/local/demo";
import { LocalEventSourceMapping, PartialBatchReading } from "../../platform/local/event-source-mapping";
import { type ExecutionEvent, type LocalExecution } from "../../platform/local/state-machine";
import { LocalWorkflowStarter } from "../../platform/local/workflow-starter";
import { LocalRuntime } from "../../platform/local/runtime";
import { names, validate } from "../../platform/model";
import { executionName, MilestoneErrors } from "../../platform/runtime";
import { BATCH_STATS_CHANNEL, type BatchStats } from "../../platform/runtime/consumer";
import { idempotencyRecordId, InMemoryPersistenceLayer } from "../../platform/runtime/idempotency";
import { topology } from "../../topology";
import { entityOrder } from "../support/order";
import { Signal } from "../support/wait";
import { OwnedBroker, runId } from "./support/broker";
import { countEach, tally } from "./support/effects";
import { FigureFile } from "./support/figures";

jest.setTimeout(150_000);

const ORDERS = 40;
/** The stack's function timeout: each consumer invocation's Lambda deadline, and so the mappings' session timeout. */
const FUNCTION_TIMEOUT_SECONDS = 3;
/** audit-archive's invocation is held at the claim of the record after this many effects of its batch. */
const HELD_AFTER = 4;
const AUDIT = "audit-archive";

/** The part of an idempotency store the gate wraps: the claim (Powertools' put of an INPROGRESS record). */
interface ClaimStore {
  _putRecord(record: { readonly idempotencyKey: string }): Promise<void>;
}

describe("a broker restart in the middle of a stream of milestones", () => {
  const figures = new FigureFile("broker-restart", {
    injected: "clean stop (SIGTERM) of the single host broker mid-stream, restarted on the same port and data",
    orders: ORDERS,
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
  });
  let broker: OwnedBroker | undefined;
  let runtime: LocalRuntime | undefined;
  let release: (() => void) | undefined;
  let onStats: ((message: unknown) => void) | undefined;

  afterEach(async () => {
    release?.();
    if (onStats) unsubscribe(BATCH_STATS_CHANNEL, onStats);
    await runtime?.stop();
    await broker?.destroy();
    jest.restoreAllMocks();
  });

  it.each(Object.values(PartialBatchReading))("loses no event, repeats no effect, ends every execution as expected and deduplicates a certain redelivery (%s)", async (reading) => {
    // Prepare: a broker and a stack of this test's own
    const stack = `restart-${runId()}`;
    const signal = new Signal();
    broker = await OwnedBroker.start("restart");
    const kafka = broker.kafka("restart");
    kafka.onCrash(() => signal.notify());
    const publishFailures: { context: string; state: string; at: number }[] = [];
    runtime = new LocalRuntime({
      topology: validate(topology, { stack }),
      stack,
      kafka,
      brokers: broker.brokers,
      functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
      partialBatchReading: reading,
      observer: {
        onEvent: (execution: LocalExecution, event: ExecutionEvent) => {
          if (event.type === "StateFailed" && event.Error === MilestoneErrors.PublishFailed) {
            publishFailures.push({ context: execution.context, state: event.state.name, at: Date.now() });
            signal.notify();
          }
        },
      },
    });

    // What each wrapper reported per invocation.
    const stats: BatchStats[] = [];
    onStats = (message) => {
      stats.push(message as BatchStats);
    };
    // audit-archive's runs, per invocation: its three mappings invoke it concurrently (as on AWS,
    // up to its reserved concurrency), so each invocation's runs are kept in its async context.
    const auditInvocations: string[][] = [];
    const invocation = new AsyncLocalStorage<string[]>();
    type Invoke = (this: { group: string }, ...args: unknown[]) => Promise<unknown>;
    const mappingPrototype = LocalEventSourceMapping.prototype as unknown as { call: Invoke };
    const invoke = mappingPrototype.call;
    jest.spyOn(mappingPrototype, "call").mockImplementation(function (this: { group: string }, ...args: unknown[]) {
      if (this.group !== AUDIT) return invoke.apply(this, args);
      const runs: string[] = [];
      auditInvocations.push(runs);
      return invocation.run(runs, () => invoke.apply(this, args));
    });
    subscribe(BATCH_STATS_CHANNEL, onStats);

    // Effects, one entry per call: each is what its handler does per run, before any deduplication
    // (archive.has is audit-archive's first act per run, before its own check hides a second one).
    const archiveHas = archive.has.bind(archive);
    const auditRuns = jest.spyOn(archive, "has").mockImplementation((eventId) => {
      invocation.getStore()?.push(eventId);
      return archiveHas(eventId);
    });
    const analytics = jest.spyOn(counts, "record");
    const audit = jest.spyOn(archive, "append");
    const notify = jest.spyOn(outbox, "send");
    const book = jest.spyOn(ledger, "book");
    const starts = jest.spyOn(LocalWorkflowStarter.prototype, "start");

    // The gate: the idempotency claim of audit-archive's record after HELD_AFTER runs of its invocation waits here.
    let held: string | undefined;
    let armed = false;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const auditRecordIds = () => new Map(runtime!.published.map((e) => [idempotencyRecordId(AUDIT, e.eventId), e.eventId]));
    const store = InMemoryPersistenceLayer.prototype as unknown as ClaimStore;
    const putRecord = store._putRecord;
    jest.spyOn(store, "_putRecord").mockImplementation(async function (this: ClaimStore, record) {
      const runs = invocation.getStore();
      const eventId = armed && runs !== undefined && runs.length >= HELD_AFTER ? auditRecordIds().get(record.idempotencyKey) : undefined;
      if (eventId !== undefined) {
        armed = false;
        held = eventId;
        signal.notify();
        await opened;
      }
      return putRecord.call(this, record);
    });

    // Act: audit-archive starts once a backlog is there, and its invocation is held mid-batch
    const scenario = demoScenario(ORDERS, `restart-${runId()}`);
    await runtime.start();
    await runtime.stopGroup(AUDIT);
    const poll = setInterval(() => signal.notify(), 100);
    const demo = runDemo(runtime, scenario, { rate: 10, timeoutMs: 120_000 });
    try {
      await signal.until(() => runtime!.published.length >= 30, "a backlog of 30 events", 30_000);
      armed = true;
      await runtime.startGroup(AUDIT);
      await signal.until(() => held !== undefined, "an audit-archive invocation to be held", 30_000);
      const heldContext = runtime.published.find((e) => e.eventId === held)!.context;
      const heldGroupId = names.consumerGroupId(stack, AUDIT, heldContext);
      const startedBeforeOutage = runtime.executions.filter((e) => e.context === "orders").length;

      // ...stop the broker under it, let it finish, and wait until its consumer has crashed
      const stoppedAt = Date.now();
      await broker.stop();
      const releasedAt = Date.now();
      release!();
      await signal.until(
        () => kafka.crashes.some((c) => c.groupId === heldGroupId && c.at > releasedAt) && publishFailures.some((f) => f.at > stoppedAt),
        "the held mapping's consumer to crash after its batch, and a milestone publish to fail",
        60_000,
        () => ({ crashes: kafka.crashes.filter((c) => c.groupId === heldGroupId).length, publishFailures: publishFailures.length }),
      );
      await broker.restart();
      const restartedAt = Date.now();
      const result = await demo;

      // Assess: the outage hit the stream in the middle, and only milestones (the broker's users) failed
      expect(startedBeforeOutage).toBeLessThan(ORDERS);
      const milestones = new Set([...runtime.machines.values()].flatMap((m) => m.context.workflow!.milestones.map((state) => `${m.context.name}.${state.state}`)));
      expect(publishFailures.filter((f) => !milestones.has(`${f.context}.${f.state}`))).toEqual([]);
      expect(publishFailures.filter((f) => f.at > stoppedAt).length).toBeGreaterThan(0);

      // Assess: executions ended as expected; every event reached every subscribed group; nothing dead-lettered
      expect(result.problems).toEqual([]);
      const placed = scenario.executions.filter((e) => e.expect === "SUCCEEDED").length;
      // Compensated orders (billing fails after InvoiceFailed) start a refund and a recall each.
      const compensated = scenario.executions.filter((e) => e.endState === "compensated").length;
      expect(compensated).toBeGreaterThan(0);
      const byContext = Object.fromEntries(result.last.contexts.map((c) => [c.name, { succeeded: c.succeeded, failed: c.failed, running: c.running }]));
      expect(byContext).toEqual({
        orders: { succeeded: placed + compensated, failed: ORDERS - placed, running: 0 },
        shipping: { succeeded: placed + compensated, failed: 0, running: 0 },
        billing: { succeeded: placed - compensated, failed: compensated, running: 0 },
      });
      const ids = runtime.published.map((e) => e.eventId);
      const all = [...new Set(ids)].sort();
      const expectedOf = (name: string) => {
        const subscribed = runtime!.subscriptions.get(name)!;
        return [...new Set(runtime!.published.filter((e) => subscribed.has(e.type)).map((e) => e.eventId))].sort();
      };
      for (const [name, group] of runtime.groups) {
        expect({ name, received: [...group.delivered.keys()].sort() }).toEqual({ name, received: expectedOf(name) });
        expect({ name, onFailure: group.onFailure, deadLettered: await runtime.deadLettered(name) }).toEqual({ name, onFailure: 0, deadLettered: 0 });
      }

      // Assess: each entity's events in publish order for every group, despite the outage
      for (const [name, group] of runtime.groups) {
        const { entities, unordered } = entityOrder(group.deliveries);
        expect({ name, entities: entities > 0, unordered }).toEqual({ name, entities: true, unordered: [] });
      }

      // Assess: each effect once per event id, counted per call
      expect(tally(analytics.mock.calls.map(([event]) => event.id))).toEqual({ ids: all, repeated: [] });
      expect(tally(auditRuns.mock.calls.map(([eventId]) => eventId))).toEqual({ ids: all, repeated: [] });
      expect(tally(audit.mock.calls.map(([, entry]) => entry.eventId))).toEqual({ ids: all, repeated: [] });
      expect(tally(book.mock.calls.map(([event]) => (event as unknown as { id: string }).id))).toEqual({ ids: expectedOf("sales-ledger"), repeated: [] });
      // The outbox takes no event id, but the demo publishes each subscribed type once per order.
      expect(tally(notify.mock.calls.map(([type, notification]) => `${type}/${notification.orderId}`)).repeated).toEqual([]);
      expect(notify).toHaveBeenCalledTimes(expectedOf("notify-customer").length);
      // Workflow-starting groups: one start asked per event, one execution per event
      const startsOf = (group: string) => starts.mock.calls.filter(([request]) => request.group === group).map(([request]) => request.eventId!);
      expect(tally(startsOf("start-shipping"))).toEqual({ ids: expectedOf("start-shipping"), repeated: [] });
      expect(tally(startsOf("start-billing"))).toEqual({ ids: expectedOf("start-billing"), repeated: [] });
      for (const group of ["refund-order", "recall-shipment"]) expect(tally(startsOf(group))).toEqual({ ids: expectedOf(group), repeated: [] });
      const shipping = runtime.machines.get("shipping")!.all.map((e) => e.name).sort();
      const shippingStarts = [...expectedOf("start-shipping").map((id) => executionName("start-shipping", id)), ...expectedOf("recall-shipment").map((id) => executionName("recall-shipment", id))];
      expect(shipping).toEqual(shippingStarts.sort());
      const billing = runtime.machines.get("billing")!.all.map((e) => e.name).sort();
      expect(billing).toEqual(expectedOf("start-billing").map((id) => executionName("start-billing", id)).sort());

      // Assess: the held batch was delivered again, every record of it, and the wrapper skipped it as duplicates
      const heldBatch = auditInvocations.find((runs) => runs.includes(held!))!;
      const auditDeliveries = countEach(runtime.groups.get(AUDIT)!.deliveries.map((d) => d.id));
      expect({ heldAt: heldBatch.indexOf(held!), deliveredAgain: heldBatch.filter((id) => auditDeliveries.get(id)! >= 2) }).toEqual({ heldAt: HELD_AFTER, deliveredAgain: heldBatch });
      const duplicates = (group: string) => stats.filter((s) => s.group === group).reduce((sum, s) => sum + s.duplicates, 0);
      expect(duplicates(AUDIT)).toBeGreaterThanOrEqual(heldBatch.length);

      // Assess: every group is current again
      for (const name of runtime.groups.keys()) expect({ name, lag: await runtime.lag(name) }).toEqual({ name, lag: 0 });

      figures.set(reading, {
        published: all.length,
        executionsStartedBeforeOutage: startedBeforeOutage,
        milestonePublishFailures: publishFailures.length,
        heldBatch: heldBatch.length,
        outageMs: restartedAt - stoppedAt,
        groups: Object.fromEntries(
          [...runtime.groups].map(([name, group]) => {
            const distinct = new Set(group.deliveries.map((d) => d.id)).size;
            return [
              name,
              {
                expected: expectedOf(name).length,
                deliveries: group.deliveries.length,
                distinctDelivered: distinct,
                redeliveries: group.deliveries.length - distinct,
                duplicatesSkippedByWrapper: duplicates(name),
                failedRecords: group.failed,
                deadLettered: group.onFailure + stats.filter((s) => s.group === name).reduce((sum, s) => sum + s.deadLettered, 0),
              },
            ];
          }),
        ),
        effects: {
          analytics: analytics.mock.calls.length,
          "audit-archive": auditRuns.mock.calls.length,
          "notify-customer": notify.mock.calls.length,
          "sales-ledger": book.mock.calls.length,
          "start-shipping": startsOf("start-shipping").length,
          "start-billing": startsOf("start-billing").length,
        },
      });
    } finally {
      clearInterval(poll);
      release!();
      await demo.catch(() => undefined);
    }
  });
});
