import { defineWorkflow, fail, milestone, succeed, task, transient } from "../../platform/model";
import { OrderPlaced, OrderRejected } from "./events";

/** Lambda's transient errors, and the stock service's own (a handler's error type is its `name`). */
const stockRetry = [...transient, { ...transient[0]!, ErrorEquals: ["Orders.StockServiceUnavailable"] }];

/** Validate, reserve, charge; a declined payment releases the stock. Either way, a milestone. */
export default defineWorkflow({
  Comment: "Takes an order from validation to payment and says whether it was placed.",
  StartAt: "Validate",
  States: {
    Validate: task("ValidateOrder", { next: "Reserve", catch: { errors: ["InvalidOrder"], to: "MarkInvalid" } }),
    Reserve: task("ReserveStock", { next: "Charge", retry: stockRetry, catch: { errors: ["OutOfStock"], to: "MarkOutOfStock" } }),
    Charge: task("ChargePayment", { next: "Placed", retry: transient, catch: { errors: ["PaymentDeclined"], to: "Release" } }),
    Placed: milestone(OrderPlaced, { key: "$.orderId", next: "Done" }),
    Release: task("ReleaseStock", { next: "Rejected", retry: transient }),
    MarkInvalid: { Type: "Pass", Result: "invalid-order", ResultPath: "$.reason", Next: "Rejected" },
    MarkOutOfStock: { Type: "Pass", Result: "out-of-stock", ResultPath: "$.reason", Next: "Rejected" },
    Rejected: milestone(OrderRejected, { key: "$.orderId", next: "NotPlaced" }),
    Done: succeed(),
    NotPlaced: fail("OrderRejected", "The order was not placed; see the OrderRejected event for the reason."),
  },
});
