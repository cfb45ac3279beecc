/**
 * The billing context's own state: tax rates, the invoice number series and the invoices
 * issued, kept in memory. Deployed, each task's container has its own copy, which is enough for
 * the example; a real context would keep the series and the invoices in its own database.
 */

import type { EventData } from "../../platform/model";
import type { ShipmentDispatched } from "../shipping/events";

/** The workflow's input: what `start-billing` takes from `orders.OrderPlaced`. */
export interface InvoiceRequest {
  readonly orderId: string;
  readonly customerId: string;
  /** What the customer paid, tax included. */
  readonly totalCents: number;
  readonly currency: string;
}

export interface TaxAssessment {
  readonly rateBasisPoints: number;
  readonly netCents: number;
  readonly taxCents: number;
}

/** ComputeTax's output, in the first branch of the Parallel state. */
export interface TaxedRequest extends InvoiceRequest {
  readonly tax: TaxAssessment;
}

/** ReserveInvoiceNumber's output, in the second branch. */
export interface NumberedRequest extends InvoiceRequest {
  readonly invoiceNumber: string;
}

/** After the Parallel state: both branches' parts, picked by its ResultSelector. */
export interface PreparedInvoice extends InvoiceRequest {
  readonly prepared: { readonly tax: TaxAssessment; readonly invoiceNumber: string };
}

/** After the wait for shipping: the ShipmentDispatched event's data, at `$.dispatch`. */
export interface DispatchedInvoice extends PreparedInvoice {
  readonly dispatch: EventData<typeof ShipmentDispatched>;
}

/** The Parallel state's Catch leaves the error in the state (`ResultPath: "$.error"`). */
export interface FailedInvoice extends InvoiceRequest {
  readonly error: { readonly Error: string; readonly Cause: string };
}

/** The InvoiceIssued event's data. */
export interface Invoice extends InvoiceRequest {
  readonly shipmentId: string;
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly netCents: number;
  readonly taxCents: number;
  readonly taxRateBasisPoints: number;
}

/**
 * VAT by the order's currency, in basis points (2000 = 20 %): the example's stand-in for the
 * customer's tax jurisdiction. USD orders are exports, zero-rated.
 */
export const TAX_RATES_BASIS_POINTS: Readonly<Record<string, number>> = {
  EUR: 2_000,
  GBP: 2_000,
  SEK: 2_500,
  CHF: 810,
  USD: 0,
};

/** A task failure a workflow catches by name (Lambda reports `name` as the error type). */
export class BillingError extends Error {
  constructor(name: "UnsupportedCurrency" | "InvoiceConflict", message: string) {
    super(message);
    this.name = name;
  }
}

/** The tax a tax-inclusive total contains, rounded to the cent; net + tax is always the total. */
export function taxIncludedIn(totalCents: number, currency: string): TaxAssessment {
  const rateBasisPoints = TAX_RATES_BASIS_POINTS[currency];
  if (rateBasisPoints === undefined) {
    throw new BillingError("UnsupportedCurrency", `No tax rate for currency ${currency}: the order cannot be invoiced automatically.`);
  }
  const netCents = Math.round((totalCents * 10_000) / (10_000 + rateBasisPoints));
  return { rateBasisPoints, netCents, taxCents: totalCents - netCents };
}

export const invoiceIdOf = (orderId: string) => `inv-${orderId}`;

/**
 * The invoice number series. Numbers are consecutive and never reused; a number reserved for an
 * invoice that cannot be issued is voided, so the series shows why it has no invoice.
 */
export class InvoiceNumbers {
  private next = 1;
  private readonly byOrder = new Map<string, string>();
  private readonly voided = new Set<string>();

  /** The order's number: reserving again for the same order returns the same number. */
  reserve(orderId: string): string {
    const existing = this.byOrder.get(orderId);
    if (existing) return existing;
    const number = `INV-${String(this.next++).padStart(6, "0")}`;
    this.byOrder.set(orderId, number);
    return number;
  }

  /** Compensation: voids the order's number, if this series gave it one. Voiding twice changes nothing. */
  void(orderId: string): string | undefined {
    const number = this.byOrder.get(orderId);
    if (number) this.voided.add(number);
    return number;
  }

  isVoided(number: string): boolean {
    return this.voided.has(number);
  }
}

/** The invoices issued, one per order. */
export class InvoiceLedger {
  private readonly invoices = new Map<string, Invoice>();

  /** Issues an order's invoice once; issuing the same again returns it, a different one for the order is refused. */
  issue(invoice: Invoice): Invoice {
    const existing = this.invoices.get(invoice.orderId);
    if (existing) {
      if (existing.invoiceNumber !== invoice.invoiceNumber || existing.totalCents !== invoice.totalCents) {
        throw new BillingError(
          "InvoiceConflict",
          `Order ${invoice.orderId} already has invoice ${existing.invoiceNumber} over ${existing.totalCents}; refusing ${invoice.invoiceNumber} over ${invoice.totalCents}.`,
        );
      }
      return existing;
    }
    this.invoices.set(invoice.orderId, invoice);
    return invoice;
  }

  invoiceOf(orderId: string): Invoice | undefined {
    return this.invoices.get(orderId);
  }

  /** Tax collected per currency, in cents. */
  taxCents(currency: string): number {
    return [...this.invoices.values()].filter((i) => i.currency === currency).reduce((sum, i) => sum + i.taxCents, 0);
  }
}

export const numbers = new InvoiceNumbers();
export const invoices = new InvoiceLedger();
