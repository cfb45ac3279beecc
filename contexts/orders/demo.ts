import { defineDemo } from "../../platform/model";
import { CREDIT_LIMIT_CENTS, type OrderRequest, PRICES_CENTS } from "./domain";

export type DemoOutcome = "placed" | "unbillable" | "invalid-order" | "out-of-stock" | "payment-declined";

/** How an order's flow ends across contexts: what the demo checks for each order id. */
export type EndState = "invoiced" | "compensated" | "rejected";

export interface DemoOrder {
  readonly name: string;
  readonly input: OrderRequest;
  readonly outcome: DemoOutcome;
  readonly expect: "SUCCEEDED" | "FAILED";
  readonly endState: EndState;
  /** The events every context publishes for this order, by type (distinct event ids). */
  readonly events: Readonly<Record<string, number>>;
}

const SKUS = Object.keys(PRICES_CENTS).filter((sku) => PRICES_CENTS[sku]! * 3 <= CREDIT_LIMIT_CENTS);
const CURRENCIES = ["EUR", "EUR", "EUR", "GBP", "SEK", "CHF"];

/** A currency billing has no tax rate for: such an order is placed and shipped, then billing fails and the others compensate. */
export const UNBILLABLE_CURRENCY = "NOK";

/**
 * `count` orders with a known mix of outcomes, the same every run: 1 in 20 invalid (an unknown
 * product), 1 in 20 out of stock (more than the warehouse holds), 1 in 10 declined (above the
 * credit limit), 1 in 20 placed in a currency billing cannot invoice (compensated: refunded and
 * recalled), the rest placed with 1–3 lines across currencies.
 *
 * @example
 * demoScenario(200).executions.filter((e) => e.endState === "compensated").length; // 10
 */
export function demoScenario(count: number, prefix = "demo") {
  const executions = Array.from({ length: count }, (_, i): DemoOrder => {
    const orderId = `${prefix}-${String(i).padStart(5, "0")}`;
    const customerId = `customer-${i % 37}`;
    const outcome: DemoOutcome = i % 20 === 7 ? "invalid-order" : i % 20 === 13 ? "out-of-stock" : i % 10 === 4 ? "payment-declined" : i % 20 === 17 ? "unbillable" : "placed";
    const currency = outcome === "unbillable" ? UNBILLABLE_CURRENCY : CURRENCIES[i % CURRENCIES.length]!;
    const lines =
      outcome === "invalid-order"
        ? [{ sku: "mystery-box", quantity: 1 }]
        : outcome === "out-of-stock"
          ? [{ sku: "teapot", quantity: 2_000_000 }]
          : outcome === "payment-declined"
            ? [{ sku: "kettle-steel", quantity: Math.ceil(CREDIT_LIMIT_CENTS / PRICES_CENTS["kettle-steel"]!) + 1 }]
            : Array.from({ length: 1 + (i % 3) }, (_, line) => ({ sku: SKUS[(i + line) % SKUS.length]!, quantity: 1 + ((i + line) % 2) }));
    const placed = outcome === "placed" || outcome === "unbillable";
    const endState: EndState = outcome === "placed" ? "invoiced" : outcome === "unbillable" ? "compensated" : "rejected";
    return { name: `order-${orderId}`, input: { orderId, customerId, lines, currency }, outcome, expect: placed ? "SUCCEEDED" : "FAILED", endState, events: eventsOf(endState, lines.length) };
  });
  const compensated = executions.filter((e) => e.endState === "compensated").length;
  return {
    context: "orders" as const,
    executions,
    milestones: milestonesOf(executions),
    key: "$.orderId",
    // Billing fails for each unbillable order, visibly, after publishing InvoiceFailed.
    startedFailures: { billing: compensated },
  };
}

/**
 * The events of one order's flow by its end state: placed orders are shipped (ShipmentScheduled,
 * one LinePacked per line, ShipmentDispatched); invoiced ones then get their InvoiceIssued;
 * compensated ones an InvoiceFailed, which orders answers with OrderRefunded and shipping with
 * ShipmentRecalled (a return: billing fails only after the dispatch it waits for).
 */
function eventsOf(endState: EndState, lines: number): Record<string, number> {
  if (endState === "rejected") return { "orders.OrderRejected": 1 };
  const shipped = { "orders.OrderPlaced": 1, "shipping.ShipmentScheduled": 1, "shipping.LinePacked": lines, "shipping.ShipmentDispatched": 1 };
  return endState === "invoiced"
    ? { ...shipped, "billing.InvoiceIssued": 1 }
    : { ...shipped, "billing.InvoiceFailed": 1, "orders.OrderRefunded": 1, "shipping.ShipmentRecalled": 1 };
}

/** The milestones every context publishes for these orders: the sum of each order's events. */
export function milestonesOf(orders: readonly DemoOrder[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const order of orders) for (const [type, count] of Object.entries(order.events)) total[type] = (total[type] ?? 0) + count;
  return total;
}

/** What `npm start` plays: orders with the mix of outcomes above. */
export const ordersDemo = defineDemo({ executions: "orders", scenario: demoScenario });
