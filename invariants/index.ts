import { billing, orders, shipping } from "../contexts";
import { defineInvariant, type InvariantDefinition } from "../platform/model";

/** A placed order ends invoiced or refunded, one or the other, within 15 minutes. */
export const orderSettlesOnce = defineInvariant({
  name: "order-settles-once",
  description: "A placed order is invoiced or refunded within 15 minutes, never both.",
  key: "$.orderId",
  after: orders.events.OrderPlaced,
  exactlyOne: [billing.events.InvoiceIssued, orders.events.OrderRefunded],
  within: { minutes: 15 },
});

/** Shipping never dispatches a refunded order. */
export const noDispatchAfterRefund = defineInvariant({
  name: "no-dispatch-after-refund",
  description: "No parcel leaves for an order once it is refunded.",
  key: "$.orderId",
  after: orders.events.OrderRefunded,
  never: [shipping.events.ShipmentDispatched],
});

/** Billing never invoices an order it has given up on. */
export const noInvoiceAfterFailure = defineInvariant({
  name: "no-invoice-after-failure",
  description: "Once billing says it cannot invoice an order, no invoice for it follows.",
  key: "$.orderId",
  after: billing.events.InvoiceFailed,
  never: [billing.events.InvoiceIssued],
});

/** Every invariant the `invariants` group checks, on AWS and in `npm start`. */
export const invariants: readonly InvariantDefinition[] = [orderSettlesOnce, noDispatchAfterRefund, noInvoiceAfterFailure];
