import { type FailedInvoice, numbers } from "../domain";

/**
 * Compensation: when the invoice cannot be prepared, the number the other branch may already
 * have reserved is voided, so the series keeps no unexplained gap.
 */
export async function handler(state: FailedInvoice): Promise<FailedInvoice & { voidedNumber?: string }> {
  const voidedNumber = numbers.void(state.orderId);
  return voidedNumber ? { ...state, voidedNumber } : state;
}
