import { type Invoice, invoiceIdOf, invoices, type PreparedInvoice } from "../domain";

/** Puts the tax and the number together into the order's invoice and records it. */
export async function handler(state: PreparedInvoice): Promise<Invoice> {
  const { prepared, ...request } = state;
  return invoices.issue({
    ...request,
    invoiceId: invoiceIdOf(request.orderId),
    invoiceNumber: prepared.invoiceNumber,
    netCents: prepared.tax.netCents,
    taxCents: prepared.tax.taxCents,
    taxRateBasisPoints: prepared.tax.rateBasisPoints,
  });
}
