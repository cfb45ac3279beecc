import { billing, orders, shipping } from "../../../contexts";
import { handler, notificationFor, Outbox, outbox } from "../../../consumers/notify-customer/handler";
import { delivery, examples } from "./deliveries";

describe("notify-customer", () => {
  it("tells the customer when the parcel leaves and when the invoice is issued", () => {
    expect(notificationFor({ type: "shipping.ShipmentDispatched", data: examples.dispatched })).toEqual({
      customerId: "c-1",
      orderId: "o-1",
      text: "Order o-1 is on its way with parcel-post, tracking number PP-shp-o-1.",
    });
    expect(notificationFor({ type: "billing.InvoiceIssued", data: examples.invoiced })).toEqual({
      customerId: "c-1",
      orderId: "o-1",
      text: "Invoice INV-000001 for order o-1: 50.00 EUR, of which tax 8.33 EUR.",
    });
  });

  it("sends once per event type and order, and lists a customer's messages in order", () => {
    const box = new Outbox();
    const placed = notificationFor({ type: "orders.OrderPlaced", data: examples.placed });
    expect(box.send("orders.OrderPlaced", placed)).toBe(true);
    expect(box.send("orders.OrderPlaced", placed)).toBe(false);
    expect(box.send("shipping.ShipmentDispatched", notificationFor({ type: "shipping.ShipmentDispatched", data: examples.dispatched }))).toBe(true);
    expect(box.send("orders.OrderRejected", { customerId: "c-2", orderId: "o-9", text: "no" })).toBe(true);
    expect(box.sentTo("c-1").map((n) => n.text)).toEqual(["Order o-1 placed: 3 item(s), 50.00 EUR.", "Order o-1 is on its way with parcel-post, tracking number PP-shp-o-1."]);
    expect(box.size).toBe(3);
  });

  it("handles events of three contexts in one invocation, each once however often delivered", async () => {
    // Prepare
    const milestones = [
      { event: orders.events.OrderPlaced, key: "o-1", data: examples.placed, state: "Placed" },
      { event: shipping.events.ShipmentDispatched, key: "shp-o-1", data: examples.dispatched, state: "Dispatched" },
      { event: billing.events.InvoiceIssued, key: "inv-o-1", data: examples.invoiced, state: "Issued" },
    ];

    // Act
    const first = await handler(delivery(milestones));
    const again = await handler(delivery(milestones));

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(outbox.sentTo("c-1").map((n) => n.text)).toEqual([
      "Order o-1 placed: 3 item(s), 50.00 EUR.",
      "Order o-1 is on its way with parcel-post, tracking number PP-shp-o-1.",
      "Invoice INV-000001 for order o-1: 50.00 EUR, of which tax 8.33 EUR.",
    ]);
  });
});
