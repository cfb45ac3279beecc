import { type OrderState, stock } from "../domain";

export async function handler(state: OrderState): Promise<OrderState> {
  return { ...state, reservationId: stock.reserve(state.orderId, state.lines) };
}
