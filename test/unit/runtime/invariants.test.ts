import { billing, orders, shipping } from "../../../contexts";
import { examples } from "../consumers/deliveries";
import { delivery, idOf } from "../consumers/deliveries";
import { invariants } from "../../../invariants";
import type { Violation } from "../../../platform/model";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import { InMemoryInvariantStore } from "../../../platform/runtime/invariant-store";
import { invariantsHandler, violationId } from "../../../platform/runtime/invariants";

const T0 = Date.parse("2026-12-07T10:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const order = (orderId: string) => ({ ...examples.placed, orderId });
const placed = (orderId: string, minutes = 0) => ({ event: orders.events.OrderPlaced, key: orderId, data: order(orderId), state: "Placed", time: at(minutes) });
const refunded = (orderId: string, minutes: number) => ({
  event: orders.events.OrderRefunded,
  key: orderId,
  data: { orderId, customerId: "c-1", refundedCents: 5_000, currency: "EUR", reason: "billing: UnsupportedCurrency" },
  state: "Refunded",
  executionId: `arn:aws:states:eu-west-1:123456789012:execution:dev-orders:refund-${orderId}`,
  time: at(minutes),
});
const dispatched = (orderId: string, minutes: number) => ({ event: shipping.events.ShipmentDispatched, key: `shp-${orderId}`, data: { ...examples.dispatched, orderId, shipmentId: `shp-${orderId}` }, state: "Dispatched", time: at(minutes) });
const invoiced = (orderId: string, minutes: number) => ({
  event: billing.events.InvoiceIssued,
  key: `inv-${orderId}`,
  data: { invoiceId: `inv-${orderId}`, invoiceNumber: "INV-000001", orderId, customerId: "c-1", shipmentId: `shp-${orderId}`, currency: "EUR", netCents: 4_167, taxCents: 833, totalCents: 5_000, taxRateBasisPoints: 2_000 },
  state: "Issued",
  time: at(minutes),
});

function checker(now: () => number) {
  const reported: Violation[] = [];
  const store = new InMemoryInvariantStore();
  const handler = invariantsHandler(invariants, { store, now, reporter: { report: async (v) => void reported.push(v) }, idempotency: new InMemoryPersistenceLayer() });
  return { handler, reported, store };
}

describe("the invariants group's handler", () => {
  let now = T0;
  beforeEach(() => {
    now = T0;
  });

  it("reports a forbidden event when it arrives, once, whatever the order of arrival and however often it is redelivered", async () => {
    const { handler, reported } = checker(() => now);
    // The dispatch arrives first (another topic), its time after the refund's.
    expect(await handler(delivery([dispatched("o-1", 5)]))).toEqual({ batchItemFailures: [] });
    expect(reported).toEqual([]);
    await handler(delivery([refunded("o-1", 2)]));
    await handler(delivery([refunded("o-1", 2), dispatched("o-1", 5)]));

    expect(reported.map((v) => [v.invariant, v.key, v.kind])).toEqual([["no-dispatch-after-refund", "o-1", "forbidden"]]);
    expect(reported[0]!.events.map((e) => [e.type, e.id])).toEqual([
      ["orders.OrderRefunded", idOf(refunded("o-1", 2))],
      ["shipping.ShipmentDispatched", idOf(dispatched("o-1", 5))],
    ]);
    expect(handler.violations).toHaveLength(1);
  });

  it("reports a missing settlement only when the sweep finds the bound passed, once; a settled key is no longer due", async () => {
    const { handler, reported } = checker(() => now);
    await handler(delivery([placed("o-2"), placed("o-3"), invoiced("o-3", 3)]));

    now = T0 + 14 * 60_000;
    expect(await handler({ source: "aws.events", "detail-type": "Scheduled Event" })).toEqual({ checked: 0, violations: 0 });
    now = T0 + 16 * 60_000;
    expect(await handler({ source: "aws.events", "detail-type": "Scheduled Event" })).toEqual({ checked: 1, violations: 1 });
    expect(await handler({ source: "aws.events", "detail-type": "Scheduled Event" })).toEqual({ checked: 0, violations: 0 });

    expect(reported.map((v) => [v.invariant, v.key, v.kind, v.message])).toEqual([["order-settles-once", "o-2", "missing", "no billing.InvoiceIssued or orders.OrderRefunded came within 900 s after orders.OrderPlaced."]]);
    expect(violationId(reported[0]!)).toBe(violationId({ invariant: "order-settles-once", key: "o-2", kind: "missing" }));
  });

  it("checks every key as if its flow were over when the local run settles", async () => {
    const { handler } = checker(() => now);
    await handler(delivery([placed("o-4"), placed("o-5"), refunded("o-5", 1)]));
    const found = await handler.settle();
    expect(found.map((v) => [v.invariant, v.key, v.kind])).toEqual([["order-settles-once", "o-4", "missing"]]);
    expect(await handler.settle()).toHaveLength(1);
  });

  it("never reports missing on arrival: an opening event whose follower another topic delivers later, even after the bound, is fine", async () => {
    const { handler, reported } = checker(() => now);
    now = T0 + 60 * 60_000; // both events are an hour old: one mapping lagged
    await handler(delivery([placed("o-6")]));
    await handler(delivery([invoiced("o-6", 5)]));
    expect(await handler({ source: "aws.events", "detail-type": "Scheduled Event" })).toEqual({ checked: 0, violations: 0 });
    expect(reported).toEqual([]);
  });

  it("reports both when an order is invoiced and refunded, and one missing (not also late) when the follower comes after the sweep reported it", async () => {
    const { handler, reported } = checker(() => now);
    await handler(delivery([placed("o-7"), invoiced("o-7", 2), refunded("o-7", 3), placed("o-8")]));
    now = T0 + 20 * 60_000;
    await handler({ source: "aws.events", "detail-type": "Scheduled Event" });
    await handler(delivery([invoiced("o-8", 19)]));
    expect(reported.map((v) => [v.invariant, v.key, v.kind])).toEqual([
      ["order-settles-once", "o-7", "more-than-one"],
      ["order-settles-once", "o-8", "missing"],
    ]);
  });

  it("gives a report back when reporting fails, so the retried record reports it", async () => {
    let fail = true;
    const reports: string[] = [];
    const store = new InMemoryInvariantStore();
    const handler = invariantsHandler(invariants, {
      store,
      now: () => now,
      idempotency: new InMemoryPersistenceLayer(),
      reporter: {
        report: async (v) => {
          if (fail) throw new Error("violations topic unreachable");
          reports.push(`${v.key}/${v.kind}`);
        },
      },
    });
    const events = delivery([refunded("o-9", 0), dispatched("o-9", 1)]);
    expect(((await handler(events)) as { batchItemFailures: unknown[] }).batchItemFailures).not.toEqual([]);
    fail = false;
    expect(await handler(events)).toEqual({ batchItemFailures: [] });
    expect(reports).toEqual(["o-9/forbidden"]);
  });
});
