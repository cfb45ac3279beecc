import { orders } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "notify-customer",
  description: "Tells the customer whether their order was placed.",
  on: [orders.events.OrderPlaced, orders.events.OrderRejected],
  batch: { size: 50 },
  scaling: { minPollers: 1, maxPollers: 4 },
});
