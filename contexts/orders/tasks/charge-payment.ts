import { type OrderState, payments } from "../domain";

export async function handler(state: OrderState): Promise<OrderState> {
  return { ...state, paymentId: payments.charge(state.orderId, state.totalCents ?? 0) };
}
