import * as z from "zod";
import {
  defineConsumer,
  defineContext,
  defineEvent,
  defineInvariant,
  defineTopology,
  defineWorkflow,
  fail,
  milestone,
  onFailure,
  succeed,
  task,
  validate,
} from "../../../platform/model";

/**
 * A small topology of its own with everything the catalog shows about invariants and failure
 * milestones, so the catalog tests do not follow the example domain as it changes: `sales`
 * places and refunds orders, `billing` invoices them (or fails, which publishes its failure
 * milestone `InvoiceFailed`), `shipping` dispatches them; two invariants read four of the six
 * events.
 */

const aTask = async () => ({ handler: async (state: unknown) => state });

const OrderPlaced = defineEvent({ name: "OrderPlaced", description: "An order was placed.", schema: z.object({ orderId: z.string(), totalCents: z.number() }) });
const OrderRefunded = defineEvent({ name: "OrderRefunded", schema: z.object({ orderId: z.string() }) });
const InvoiceIssued = defineEvent({ name: "InvoiceIssued", schema: z.object({ orderId: z.string(), invoiceId: z.string() }) });
const InvoiceFailed = defineEvent({ name: "InvoiceFailed", schema: z.object({ orderId: z.string(), reason: z.string() }) });
const ShipmentDispatched = defineEvent({ name: "ShipmentDispatched", schema: z.object({ orderId: z.string() }) });
const ShipmentScheduled = defineEvent({ name: "ShipmentScheduled", schema: z.object({ orderId: z.string() }) });

export const sales = defineContext({
  name: "sales",
  events: [OrderPlaced, OrderRefunded],
  tasks: { Place: aTask },
  workflow: defineWorkflow({
    StartAt: "Route",
    States: {
      Route: { Type: "Choice", Choices: [{ Variable: "$.refund", BooleanEquals: true, Next: "Refunded" }], Default: "Place" },
      Place: task("Place", { next: "Placed" }),
      Placed: milestone(OrderPlaced, { key: "$.orderId", next: "Done" }),
      Refunded: milestone(OrderRefunded, { key: "$.orderId", next: "Done" }),
      Done: succeed(),
    },
  }),
});

export const billing = defineContext({
  name: "billing",
  events: [InvoiceIssued, InvoiceFailed],
  tasks: { Issue: aTask },
  workflow: defineWorkflow({
    StartAt: "Issue",
    States: {
      Issue: task("Issue", { next: "Issued", catch: { to: "NotInvoiced" } }),
      Issued: milestone(InvoiceIssued, { key: "$.orderId", next: "Done" }),
      Done: succeed(),
      NotInvoiced: fail("NotInvoiced", "No invoice could be issued."),
    },
  }),
  failure: onFailure(InvoiceFailed, { key: "$.input.orderId", data: { orderId: "$.input.orderId", reason: "$.error" } }),
});

export const shipping = defineContext({
  name: "shipping",
  events: [ShipmentScheduled, ShipmentDispatched],
  tasks: { Ship: aTask },
  workflow: defineWorkflow({
    StartAt: "Ship",
    States: {
      Ship: task("Ship", { next: "Scheduled" }),
      Scheduled: milestone(ShipmentScheduled, { key: "$.orderId", next: "Dispatched" }),
      Dispatched: milestone(ShipmentDispatched, { key: "$.orderId", next: "Done" }),
      Done: succeed(),
    },
  }),
});

export const startBilling = defineConsumer({ name: "start-billing", on: [sales.events.OrderPlaced], startWorkflow: billing });
export const notify = defineConsumer({ name: "notify", on: [billing.events.InvoiceIssued, billing.events.InvoiceFailed] });

export const settlesOnce = defineInvariant({
  name: "order-settles-once",
  description: "A placed order is invoiced or refunded within 15 minutes, never both.",
  key: "$.orderId",
  after: sales.events.OrderPlaced,
  exactlyOne: [billing.events.InvoiceIssued, sales.events.OrderRefunded],
  within: { minutes: 15 },
});

export const noDispatchAfterRefund = defineInvariant({
  name: "no-dispatch-after-refund",
  key: "$.orderId",
  after: sales.events.OrderRefunded,
  never: [shipping.events.ShipmentDispatched],
});

export const invariantTopology = defineTopology({
  contexts: [sales, billing, shipping],
  consumers: [startBilling, notify],
  invariants: [settlesOnce, noDispatchAfterRefund],
});

/** Validated without looking for task and handler files: its tasks and groups have none. */
export const validInvariantTopology = (stack = "dev") => validate(invariantTopology, { stack, checkFiles: false });
