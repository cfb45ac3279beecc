import { orders, shipping } from "../../../contexts";
import consumer from "../../../consumers/analytics/consumer";
import { counts, EventCounts, handler } from "../../../consumers/analytics/handler";
import { validate } from "../../../platform/model";
import { topology } from "../../../topology";
import { delivery, examples } from "./deliveries";

describe("analytics", () => {
  it("subscribes to every event of every context", () => {
    expect(consumer.on.map((e) => e.type)).toEqual(validate(topology).events.map((e) => e.type));
    expect(consumer).toMatchObject({ batch: { size: 500, windowSeconds: 2 }, scaling: { minPollers: 1, maxPollers: 2 } });
  });

  it("counts each event id once, per type and per context", () => {
    const tally = new EventCounts();
    expect(tally.record({ id: "e1", type: "orders.OrderPlaced" })).toBe(true);
    expect(tally.record({ id: "e1", type: "orders.OrderPlaced" })).toBe(false);
    tally.record({ id: "e2", type: "shipping.LinePacked" });
    tally.record({ id: "e3", type: "shipping.LinePacked" });
    tally.record({ id: "e4", type: "orders.OrderRejected" });
    expect(tally.countOf("shipping.LinePacked")).toBe(2);
    expect(tally.countOf("billing.InvoiceIssued")).toBe(0);
    expect(tally.snapshot()).toEqual({ "orders.OrderPlaced": 1, "orders.OrderRejected": 1, "shipping.LinePacked": 2 });
    expect(tally.byContext()).toEqual({ orders: 2, shipping: 2 });
    expect(tally.total).toBe(4);
  });

  it("counts a batch spanning topics, and nothing more when it is redelivered", async () => {
    // Prepare: one order's events, the packed lines from one Map (same state, different index)
    const batch = delivery([
      { event: orders.events.OrderPlaced, key: "o-1", data: examples.placed, state: "Placed" },
      { event: shipping.events.ShipmentScheduled, key: "shp-o-1", data: examples.scheduled, state: "Scheduled" },
      { event: shipping.events.LinePacked, key: "shp-o-1", data: examples.packed(0), state: "Packed", mapIndex: 0 },
      { event: shipping.events.LinePacked, key: "shp-o-1", data: examples.packed(1), state: "Packed", mapIndex: 1 },
    ]);

    // Act
    await handler(batch);
    await handler(batch);

    // Assess
    expect(counts.snapshot()).toEqual({ "orders.OrderPlaced": 1, "shipping.LinePacked": 2, "shipping.ShipmentScheduled": 1 });
  });
});
