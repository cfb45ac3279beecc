import { defineContext } from "../../platform/model";
import { OrderPlaced, OrderRefunded, OrderRejected } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "orders",
  dir: __dirname,
  description: "Takes an order from validation to payment; publishes whether it was placed. Refunds an order another context could not complete.",
  events: [OrderPlaced, OrderRejected, OrderRefunded],
  tasks: {
    ValidateOrder: () => import("./tasks/validate-order.js"),
    ReserveStock: () => import("./tasks/reserve-stock.js"),
    ChargePayment: () => import("./tasks/charge-payment.js"),
    ReleaseStock: () => import("./tasks/release-stock.js"),
    RefundPayment: () => import("./tasks/refund-payment.js"),
  },
  workflow,
});
