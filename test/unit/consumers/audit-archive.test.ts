import { orders, shipping } from "../../../contexts";
import consumer from "../../../consumers/audit-archive/consumer";
import { ARCHIVE_DELAY_MS, archive, AuditArchive, handler } from "../../../consumers/audit-archive/handler";
import { delivery, examples, idOf } from "./deliveries";

const entry = (eventId: string, type = "orders.OrderPlaced") => ({ eventId, type, time: undefined, correlationId: undefined, data: {} });

describe("audit-archive", () => {
  it("is configured to be slow: small batches, no window, a single poller", () => {
    expect(consumer).toMatchObject({ batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 1 } });
    expect(ARCHIVE_DELAY_MS).toBeGreaterThanOrEqual(20);
  });

  it("keeps one ordered log per entity, each event once", () => {
    const log = new AuditArchive();
    expect(log.append("o-1", entry("e1"))).toBe(true);
    expect(log.append("o-2", entry("e2"))).toBe(true);
    expect(log.append("o-1", entry("e3", "orders.OrderRejected"))).toBe(true);
    expect(log.append("o-1", entry("e1"))).toBe(false);
    expect(log.logOf("o-1").map((e) => e.eventId)).toEqual(["e1", "e3"]);
    expect(log.logOf("o-3")).toEqual([]);
    expect(log.entities).toEqual(["o-1", "o-2"]);
    expect(log.has("e2")).toBe(true);
    expect(log.size).toBe(3);
  });

  it("archives each event under its subject in delivery order, taking measurable time per new event", async () => {
    // Prepare
    const milestones = [
      { event: orders.events.OrderPlaced, key: "o-1", data: examples.placed, state: "Placed" },
      { event: shipping.events.ShipmentScheduled, key: "shp-o-1", data: examples.scheduled, state: "Scheduled" },
      { event: shipping.events.LinePacked, key: "shp-o-1", data: examples.packed(0), state: "Packed", mapIndex: 0 },
      { event: shipping.events.ShipmentDispatched, key: "shp-o-1", data: examples.dispatched, state: "Dispatched" },
    ];

    // Act
    const started = performance.now();
    const result = await handler(delivery(milestones));
    const elapsed = performance.now() - started;
    await handler(delivery(milestones));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(milestones.length * ARCHIVE_DELAY_MS - 5);
    expect(archive.logOf("o-1").map((e) => e.type)).toEqual(["orders.OrderPlaced"]);
    expect(archive.logOf("shp-o-1").map((e) => [e.type, e.eventId])).toEqual(milestones.slice(1).map((m) => [m.event.type, idOf(m)]));
    expect(archive.logOf("shp-o-1")[0]).toMatchObject({ correlationId: "arn:aws:states:eu-west-1:123456789012:execution:dev-shipping:shp-o-1", data: examples.scheduled });
  });
});
