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
