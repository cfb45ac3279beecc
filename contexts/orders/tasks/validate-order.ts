import { OrderError, type OrderState, PRICES_CENTS } from "../domain";

/** Checks the order and prices it. */
export async function handler(state: OrderState): Promise<OrderState> {
  if (state.lines.length === 0) throw new OrderError("InvalidOrder", `Order ${state.orderId} has no lines.`);
  let totalCents = 0;
  for (const line of state.lines) {
    const price = PRICES_CENTS[line.sku];
    if (price === undefined) throw new OrderError("InvalidOrder", `Order ${state.orderId}: unknown product "${line.sku}".`);
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw new OrderError("InvalidOrder", `Order ${state.orderId}: quantity of ${line.sku} must be a positive whole number.`);
    }
    totalCents += price * line.quantity;
  }
  return { ...state, totalCents };
}
