import { type OrderState, stock } from "../domain";

/** Compensation: gives back what ReserveStock took when the payment is declined. */
export async function handler(state: OrderState): Promise<OrderState> {
  if (state.reservationId) stock.release(state.reservationId);
  return { ...state, reservationId: undefined, reason: "payment-declined" };
}
