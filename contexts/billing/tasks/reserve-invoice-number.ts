import { type InvoiceRequest, type NumberedRequest, numbers } from "../domain";

/** The next number of the series, once per order. */
export async function handler(state: InvoiceRequest): Promise<NumberedRequest> {
  return { ...state, invoiceNumber: numbers.reserve(state.orderId) };
}
