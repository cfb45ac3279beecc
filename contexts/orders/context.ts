import { defineContext } from "../../platform/model";
import { OrderPlaced, OrderRejected } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "orders",
  dir: __dirname,
  description: "Takes an order from validation to payment; publishes whether it was placed.",
  events: [OrderPlaced, OrderRejected],
  tasks: {
    ValidateOrder: () => import("./tasks/validate-order.js"),
    ReserveStock: () => import("./tasks/reserve-stock.js"),
    ChargePayment: () => import("./tasks/charge-payment.js"),
    ReleaseStock: () => import("./tasks/release-stock.js"),
  },
  workflow,
});
