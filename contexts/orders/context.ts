import { defineContext } from "../../platform/model";
import { OrderPlaced, OrderRejected } from "./events";

export default defineContext({
  name: "orders",
  description: "Takes an order from validation to payment; publishes whether it was placed.",
  events: [OrderPlaced, OrderRejected],
});
