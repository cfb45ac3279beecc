import { type DispatchedInvoice, type Invoice, invoiceIdOf, invoices } from "../domain";

/** Puts the tax, the number and the shipment together into the order's invoice and records it. */
export async function handler(state: DispatchedInvoice): Promise<Invoice> {
  const { prepared, dispatch, ...request } = state;
  return invoices.issue({
    ...request,
    shipmentId: dispatch.shipmentId,
    invoiceId: invoiceIdOf(request.orderId),
    invoiceNumber: prepared.invoiceNumber,
    netCents: prepared.tax.netCents,
    taxCents: prepared.tax.taxCents,
    taxRateBasisPoints: prepared.tax.rateBasisPoints,
  });
}
