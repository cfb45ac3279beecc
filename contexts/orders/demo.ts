import { defineDemo } from "../../platform/model";
import { CREDIT_LIMIT_CENTS, type OrderRequest, PRICES_CENTS } from "./domain";

export type DemoOutcome = "placed" | "invalid-order" | "out-of-stock" | "payment-declined";

export interface DemoOrder {
  readonly name: string;
  readonly input: OrderRequest;
  readonly outcome: DemoOutcome;
  readonly expect: "SUCCEEDED" | "FAILED";
}

const SKUS = Object.keys(PRICES_CENTS).filter((sku) => PRICES_CENTS[sku]! * 3 <= CREDIT_LIMIT_CENTS);
const CURRENCIES = ["EUR", "EUR", "EUR", "GBP", "SEK", "CHF"];

/**
 * `count` orders with a known mix of outcomes, the same every run: 1 in 20 invalid (an unknown
 * product), 1 in 20 out of stock (more than the warehouse holds), 1 in 10 declined (above the
 * credit limit), the rest placed with 1–3 lines across currencies.
 *
 * @example
 * demoScenario(200).executions.filter((e) => e.expect === "SUCCEEDED").length; // 160
 */
export function demoScenario(count: number, prefix = "demo"): { context: "orders"; executions: DemoOrder[]; milestones: Record<string, number> } {
  const executions = Array.from({ length: count }, (_, i): DemoOrder => {
    const orderId = `${prefix}-${String(i).padStart(5, "0")}`;
    const customerId = `customer-${i % 37}`;
    const currency = CURRENCIES[i % CURRENCIES.length]!;
    const outcome: DemoOutcome = i % 20 === 7 ? "invalid-order" : i % 20 === 13 ? "out-of-stock" : i % 10 === 4 ? "payment-declined" : "placed";
    const lines =
      outcome === "invalid-order"
        ? [{ sku: "mystery-box", quantity: 1 }]
        : outcome === "out-of-stock"
          ? [{ sku: "teapot", quantity: 2_000_000 }]
          : outcome === "payment-declined"
            ? [{ sku: "kettle-steel", quantity: Math.ceil(CREDIT_LIMIT_CENTS / PRICES_CENTS["kettle-steel"]!) + 1 }]
            : Array.from({ length: 1 + (i % 3) }, (_, line) => ({ sku: SKUS[(i + line) % SKUS.length]!, quantity: 1 + ((i + line) % 2) }));
    return { name: `order-${orderId}`, input: { orderId, customerId, lines, currency }, outcome, expect: outcome === "placed" ? "SUCCEEDED" : "FAILED" };
  });
  return { context: "orders", executions, milestones: milestonesOf(executions) };
}

/**
 * The milestones every context publishes for these orders, following the workflows: a placed
 * order is shipped (start-shipping: ShipmentScheduled, one LinePacked per line, and
 * ShipmentDispatched, by freight if the courier refuses) and invoiced (start-billing on
 * OrderPlaced; billing waits for the order's ShipmentDispatched, then InvoiceIssued; the demo's
 * currencies all have a tax rate); any other
 * outcome publishes OrderRejected and nothing else.
 */
export function milestonesOf(orders: readonly DemoOrder[]): Record<string, number> {
  const placed = orders.filter((o) => o.outcome === "placed");
  return {
    "orders.OrderPlaced": placed.length,
    "orders.OrderRejected": orders.length - placed.length,
    "shipping.ShipmentScheduled": placed.length,
    "shipping.LinePacked": placed.reduce((sum, o) => sum + o.input.lines.length, 0),
    "shipping.ShipmentDispatched": placed.length,
    "billing.InvoiceIssued": placed.length,
  };
}

/** What `npm start` plays: orders with the mix of outcomes above. */
export const ordersDemo = defineDemo({ executions: "orders", scenario: demoScenario });
