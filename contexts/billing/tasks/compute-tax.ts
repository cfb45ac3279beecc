import { type InvoiceRequest, type TaxedRequest, taxIncludedIn } from "../domain";

/** The tax the paid total contains; an unknown currency fails with `UnsupportedCurrency`. */
export async function handler(state: InvoiceRequest): Promise<TaxedRequest> {
  return { ...state, tax: taxIncludedIn(state.totalCents, state.currency) };
}
