import { orders } from "../../../contexts";
import { CREDIT_LIMIT_CENTS, OrderError, type OrderRequest, PaymentLedger, StockLedger, stock } from "../../../contexts/orders/domain";
import { handler as chargePayment } from "../../../contexts/orders/tasks/charge-payment";
import { handler as releaseStock } from "../../../contexts/orders/tasks/release-stock";
import { handler as reserveStock } from "../../../contexts/orders/tasks/reserve-stock";
import { handler as validateOrder } from "../../../contexts/orders/tasks/validate-order";
import { runWorkflow } from "./run-workflow";

const order = (orderId: string, lines: OrderRequest["lines"]): OrderRequest => ({ orderId, customerId: "c-1", lines, currency: "EUR" });

describe("orders domain", () => {
  it("reserves every line or none, once per order, and releases once", () => {
    const ledger = new StockLedger();
    expect(ledger.reserve("o-1", [{ sku: "kettle-steel", quantity: 30 }])).toBe("res-o-1");
    expect(ledger.reserve("o-1", [{ sku: "kettle-steel", quantity: 30 }])).toBe("res-o-1");
    expect(ledger.availableOf("kettle-steel")).toBe(10);
    expect(() => ledger.reserve("o-2", [{ sku: "teapot", quantity: 1 }, { sku: "kettle-steel", quantity: 11 }])).toThrow(
      expect.objectContaining({ name: "OutOfStock", message: "Order o-2: not enough kettle-steel in stock." }),
    );
    expect(ledger.availableOf("teapot")).toBe(60);
    ledger.release("res-o-1");
    ledger.release("res-o-1");
    expect(ledger.availableOf("kettle-steel")).toBe(40);
  });

  it("charges once per order and declines above the credit limit", () => {
    const ledger = new PaymentLedger();
    expect(ledger.charge("o-1", 1_000)).toBe("pay-o-1");
    expect(ledger.charge("o-1", 1_000)).toBe("pay-o-1");
    expect(ledger.chargedCents()).toBe(1_000);
    expect(() => ledger.charge("o-2", CREDIT_LIMIT_CENTS + 1)).toThrow(expect.objectContaining({ name: "PaymentDeclined" }));
  });
});

describe("orders tasks", () => {
  it("ValidateOrder prices the order, or fails with InvalidOrder", async () => {
    expect(await validateOrder(order("o-v", [{ sku: "teapot", quantity: 2 }, { sku: "tea-sencha", quantity: 1 }]))).toMatchObject({ totalCents: 7_300 });
    await expect(validateOrder(order("o-v2", []))).rejects.toThrow(new OrderError("InvalidOrder", "Order o-v2 has no lines."));
    await expect(validateOrder(order("o-v3", [{ sku: "anvil", quantity: 1 }]))).rejects.toMatchObject({ name: "InvalidOrder" });
    await expect(validateOrder(order("o-v4", [{ sku: "teapot", quantity: 0 }]))).rejects.toMatchObject({ name: "InvalidOrder" });
  });

  it("ReserveStock, ChargePayment and ReleaseStock add and take back their parts of the state", async () => {
    const before = stock.availableOf("mug-white");
    const reserved = await reserveStock({ ...order("o-t", [{ sku: "mug-white", quantity: 2 }]), totalCents: 2_400 });
    expect(reserved.reservationId).toBe("res-o-t");
    expect(stock.availableOf("mug-white")).toBe(before - 2);
    expect((await chargePayment(reserved)).paymentId).toBe("pay-o-t");
    expect(await releaseStock(reserved)).toMatchObject({ reservationId: undefined, reason: "payment-declined" });
    expect(stock.availableOf("mug-white")).toBe(before);
  });
});

describe("the orders workflow", () => {
  it("places a valid order and publishes OrderPlaced", async () => {
    const run = await runWorkflow(orders, order("o-wf", [{ sku: "tea-earl-grey", quantity: 2 }]));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.published).toEqual([
      { type: "orders.OrderPlaced", key: "o-wf", state: "Placed", mapIndex: undefined, data: { ...order("o-wf", [{ sku: "tea-earl-grey", quantity: 2 }]), totalCents: 1_300 } },
    ]);
  });

  it.each([
    ["invalid-order", [{ sku: "anvil", quantity: 1 }], ["ValidateOrder"]],
    ["out-of-stock", [{ sku: "kettle-steel", quantity: 1_000_001 }], ["ValidateOrder", "ReserveStock"]],
    ["payment-declined", [{ sku: "kettle-steel", quantity: 5 }], ["ValidateOrder", "ReserveStock", "ChargePayment", "ReleaseStock"]],
  ])("rejects an order (%s), publishes OrderRejected and fails", async (reason, lines, tasks) => {
    const before = stock.availableOf("kettle-steel");
    const run = await runWorkflow(orders, order(`o-wf-${reason}`, lines));
    expect(run).toMatchObject({ status: "FAILED", error: "OrderRejected", tasks });
    expect(run.published).toEqual([{ type: "orders.OrderRejected", key: `o-wf-${reason}`, state: "Rejected", mapIndex: undefined, data: { orderId: `o-wf-${reason}`, customerId: "c-1", reason } }]);
    expect(stock.availableOf("kettle-steel")).toBe(before);
  });
});
