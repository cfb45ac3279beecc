import * as z from "zod";
import { defineEvent } from "../../platform/model";

export const InvoiceIssued = defineEvent({
  name: "InvoiceIssued",
  description: "A dispatched order is invoiced: its numbered invoice with the tax it contains.",
  schema: z.object({
    invoiceId: z.string().min(1),
    /** Sequential, without gaps: voided numbers are recorded, never reused. */
    invoiceNumber: z.string().regex(/^INV-\d{6}$/),
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    shipmentId: z.string().min(1),
    currency: z.string().length(3),
    netCents: z.number().int().nonnegative(),
    taxCents: z.number().int().nonnegative(),
    /** netCents + taxCents: what the customer paid. */
    totalCents: z.number().int().nonnegative(),
    taxRateBasisPoints: z.number().int().nonnegative(),
  }),
});

export const InvoiceFailed = defineEvent({
  name: "InvoiceFailed",
  description: "Billing cannot invoice the order: its failure milestone, published once whenever a billing execution fails. Orders refunds, shipping recalls.",
  schema: z.object({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    /** What the customer paid, to refund. */
    totalCents: z.number().int().nonnegative(),
    currency: z.string().length(3),
    /** The error the execution failed with, e.g. `UnsupportedCurrency`, `NotDispatched`, `States.Timeout`. */
    reason: z.string().min(1),
    detail: z.string(),
  }),
});
