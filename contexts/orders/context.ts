import { defineContext } from "../../platform/model";
import { OrderPlaced, OrderRejected } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "orders",
  description: "Takes an order from validation to payment; publishes whether it was placed.",
  events: [OrderPlaced, OrderRejected],
  tasks: {
    ValidateOrder: "./tasks/validate-order.ts",
    ReserveStock: "./tasks/reserve-stock.ts",
    ChargePayment: "./tasks/charge-payment.ts",
    ReleaseStock: "./tasks/release-stock.ts",
  },
  workflow,
});
