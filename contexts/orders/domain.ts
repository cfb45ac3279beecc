/**
 * The orders context's own state: a price list, a stock ledger and a payment ledger, kept in
 * memory. Deployed, each task's container has its own copy, which is enough for the example;
 * a real context would keep them in its own database.
 */

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** The workflow's input. */
export interface OrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  readonly currency: string;
}

/** The state as it flows through the workflow; each task returns it with its part added. */
export interface OrderState extends OrderRequest {
  readonly totalCents?: number;
  readonly reservationId?: string;
  readonly paymentId?: string;
  readonly reason?: "out-of-stock" | "payment-declined" | "invalid-order";
}

export const PRICES_CENTS: Readonly<Record<string, number>> = {
  "tea-earl-grey": 650,
  "tea-sencha": 900,
  "mug-white": 1200,
  "kettle-steel": 4500,
  teapot: 3200,
};

/** Orders above this are declined by the example payment provider. */
export const CREDIT_LIMIT_CENTS = 20_000;

/** A task failure a workflow catches by name (Lambda reports `name` as the error type). */
export class OrderError extends Error {
  constructor(name: "InvalidOrder" | "OutOfStock" | "PaymentDeclined", message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The warehouse's stock service did not answer: transient, so the workflow retries it. Named as
 * Lambda reports it (the error's `name` is its type) and namespaced like the service's own
 * `Lambda.*` errors, which a local handler can never raise.
 */
export class StockServiceUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Orders.StockServiceUnavailable";
  }
}

const INITIAL_STOCK: Readonly<Record<string, number>> = {
  "tea-earl-grey": 500,
  "tea-sencha": 300,
  "mug-white": 200,
  "kettle-steel": 40,
  teapot: 60,
};

/**
 * What the context's own warehouse holds: enough that a demo of thousands of orders never runs
 * short by accident, so its mix of outcomes is known in advance; an order for more than this
 * is out of stock.
 */
export const WAREHOUSE_STOCK: Readonly<Record<string, number>> = Object.fromEntries(Object.keys(PRICES_CENTS).map((sku) => [sku, 1_000_000]));

export class StockLedger {
  private readonly available: Map<string, number>;

  private readonly reservations = new Map<string, readonly OrderLine[]>();

  /** Reservations still to fail as if the stock service were down (see `outage`). */
  private unavailableFor = 0;

  constructor(initial: Readonly<Record<string, number>> = INITIAL_STOCK) {
    this.available = new Map(Object.entries(initial));
  }

  /** The next `calls` reservations fail with StockServiceUnavailable, reserving nothing: a drill of the workflow's Retry. */
  outage(calls: number): void {
    this.unavailableFor = calls;
  }

  /** Reserves every line or none; the same order reserves once. */
  reserve(orderId: string, lines: readonly OrderLine[]): string {
    if (this.unavailableFor > 0) {
      this.unavailableFor--;
      throw new StockServiceUnavailable(`Order ${orderId}: the stock service did not answer.`);
    }
    const id = `res-${orderId}`;
    if (this.reservations.has(id)) return id;
    const short = lines.filter((line) => (this.available.get(line.sku) ?? 0) < line.quantity);
    if (short.length > 0) {
      throw new OrderError("OutOfStock", `Order ${orderId}: not enough ${short.map((l) => l.sku).join(", ")} in stock.`);
    }
    for (const line of lines) this.available.set(line.sku, this.available.get(line.sku)! - line.quantity);
    this.reservations.set(id, lines);
    return id;
  }

  /** Returns a reservation's stock; releasing twice changes nothing. */
  release(reservationId: string): void {
    const lines = this.reservations.get(reservationId);
    if (!lines) return;
    for (const line of lines) this.available.set(line.sku, (this.available.get(line.sku) ?? 0) + line.quantity);
    this.reservations.delete(reservationId);
  }

  availableOf(sku: string): number {
    return this.available.get(sku) ?? 0;
  }
}

/** The workflow's input when it refunds an order (compensation; see `refund-order`). */
export interface RefundRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly refund: { readonly cents: number; readonly reason: string };
}

export interface RefundedOrder extends RefundRequest {
  readonly refundedCents: number;
  readonly reason: string;
}

export class PaymentLedger {
  private readonly charges = new Map<string, number>();
  private readonly refunds = new Map<string, number>();

  /** Refunds an order once and marks it refunded; refunding again returns the first refund. */
  refund(orderId: string, cents: number): number {
    const id = `pay-${orderId}`;
    const refunded = this.refunds.get(id);
    if (refunded !== undefined) return refunded;
    // A charge made by another container is known here only from the request: refund what it says.
    this.refunds.set(id, cents);
    return cents;
  }

  isRefunded(orderId: string): boolean {
    return this.refunds.has(`pay-${orderId}`);
  }

  /** Charges an order once; declines above the credit limit. */
  charge(orderId: string, totalCents: number): string {
    const id = `pay-${orderId}`;
    if (this.charges.has(id)) return id;
    if (totalCents > CREDIT_LIMIT_CENTS) {
      throw new OrderError("PaymentDeclined", `Order ${orderId}: ${totalCents} cents is above the credit limit.`);
    }
    this.charges.set(id, totalCents);
    return id;
  }

  chargedCents(): number {
    return [...this.charges.values()].reduce((sum, cents) => sum + cents, 0);
  }
}

export const stock = new StockLedger(WAREHOUSE_STOCK);
export const payments = new PaymentLedger();
