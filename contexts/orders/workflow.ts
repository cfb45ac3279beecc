import { defineWorkflow, fail, milestone, succeed, task, transient } from "../../platform/model";
import { OrderPlaced, OrderRefunded, OrderRejected } from "./events";

/** Lambda's transient errors, and the stock service's own (a handler's error type is its `name`). */
const stockRetry = [...transient, { ...transient[0]!, ErrorEquals: ["Orders.StockServiceUnavailable"] }];

/**
 * Validate, reserve, charge; a declined payment releases the stock. Either way, a milestone. An
 * input with `refund` (what `refund-order` starts when billing cannot invoice) refunds the
 * order's payment instead: compensation by events.
 */
export default defineWorkflow({
  Comment: "Takes an order from validation to payment and says whether it was placed; or refunds it.",
  StartAt: "Route",
  States: {
    Route: { Type: "Choice", Choices: [{ Variable: "$.refund", IsPresent: true, Next: "Refund" }], Default: "Validate" },
    Refund: task("RefundPayment", { next: "Refunded", retry: transient }),
    Refunded: milestone(OrderRefunded, { key: "$.orderId", next: "RefundDone" }),
    RefundDone: succeed(),
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
