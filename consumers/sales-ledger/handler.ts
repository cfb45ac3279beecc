import type { ConsumedEvent } from "../../platform/model";
import { consume } from "../../platform/runtime";
import consumer from "./consumer";

/** Revenue per currency, in cents: one ledger entry per placed order. */
export class SalesLedger {
  private readonly totals = new Map<string, number>();
  private readonly booked = new Set<string>();

  /** Books an order once; a redelivered event changes nothing. Returns whether it was new. */
  book(event: ConsumedEvent<typeof consumer>): boolean {
    if (this.booked.has(event.data.orderId)) return false;
    this.booked.add(event.data.orderId);
    this.totals.set(event.data.currency, (this.totals.get(event.data.currency) ?? 0) + event.data.totalCents);
    return true;
  }

  totalCents(currency: string): number {
    return this.totals.get(currency) ?? 0;
  }
}

/** This container's ledger; the example keeps it in memory. */
export const ledger = new SalesLedger();

export const handler = consume(consumer, (event, { logger }) => {
  if (ledger.book(event)) logger.info("order booked", { orderId: event.data.orderId, totalCents: event.data.totalCents });
});
