import { payments, type RefundedOrder, type RefundRequest } from "../domain";

/** Compensation: refunds what the customer paid for an order another context could not complete. */
export async function handler(state: RefundRequest): Promise<RefundedOrder> {
  return { ...state, refundedCents: payments.refund(state.orderId, state.refund.cents), reason: state.refund.reason };
}
