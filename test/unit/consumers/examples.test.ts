import { orders } from "../../../contexts";
import { notificationFor } from "../../../consumers/notify-customer/handler";
import { handler as ledgerHandler, ledger } from "../../../consumers/sales-ledger/handler";
import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { toCloudEvent, toKafkaRecord } from "../../../platform/runtime";

const placed = { orderId: "o-1", customerId: "c-1", lines: [{ sku: "tea", quantity: 2 }, { sku: "cup", quantity: 1 }], totalCents: 1250, currency: "EUR" };

describe("the example consumer groups", () => {
  it("notify-customer words each event for the customer", () => {
    expect(notificationFor({ type: "orders.OrderPlaced", data: placed })).toEqual({ customerId: "c-1", orderId: "o-1", text: "Order o-1 placed: 3 item(s), 12.50 EUR." });
    expect(notificationFor({ type: "orders.OrderRejected", data: { orderId: "o-2", customerId: "c-1", reason: "payment-declined" } })).toEqual({
      customerId: "c-1",
      orderId: "o-2",
      text: "Order o-2 could not be placed (payment-declined).",
    });
  });

  it("sales-ledger books a placed order once, however often it is delivered", async () => {
    // Prepare
    const record = toKafkaRecord(toCloudEvent({ event: orders.events.OrderPlaced, key: "o-1", data: placed, executionId: "arn:x:execution:orders:o-1", state: "Placed" }));
    const message = (offset: number) => ({ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers, offset: String(offset), timestamp: "1", attributes: 0 });
    const delivery = toMskEvent([{ topic: "orders.events", partition: 0, messages: [message(0), message(1)] }]);

    // Act
    const first = await ledgerHandler(delivery);
    const again = await ledgerHandler(delivery);

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(ledger.totalCents("EUR")).toBe(1250);
  });
});
