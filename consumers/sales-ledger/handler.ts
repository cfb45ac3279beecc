import type { ConsumedEvent } from "../../platform/model";
import type consumer from "./consumer";

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
