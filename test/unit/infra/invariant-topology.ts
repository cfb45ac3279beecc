import * as z from "zod";
import { EnsemblePlatform } from "../../../platform/infra/platform";
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
  type Topology,
  validate,
} from "../../../platform/model";
import { parseStackConfig } from "../../../platform/model/stack-config";
import { type PulumiMocks, recordResources } from "../../support/pulumi-mocks";

/**
 * A small topology of its own, so these infra tests do not follow the example domain as it
 * changes: `sales` places and refunds orders (no failure milestone), `billing` invoices them or
 * fails, publishing its failure milestone `InvoiceFailed`; `notify` reads both; two invariants,
 * one with a 15-minute bound and one `never`.
 *
 * Its functions' bundles are never built: the tests that deploy it stub `platform/infra/bundle`
 * (./bundle-stub.ts), since its tasks and handlers have no files.
 */

const aTask = async () => ({ handler: async (state: unknown) => state });

const OrderPlaced = defineEvent({ name: "OrderPlaced", schema: z.object({ orderId: z.string() }) });
const OrderRefunded = defineEvent({ name: "OrderRefunded", schema: z.object({ orderId: z.string() }) });
const InvoiceIssued = defineEvent({ name: "InvoiceIssued", schema: z.object({ orderId: z.string(), invoiceId: z.string() }) });
const InvoiceFailed = defineEvent({ name: "InvoiceFailed", schema: z.object({ orderId: z.string(), reason: z.string() }) });

export const sales = defineContext({
  name: "sales",
  dir: __dirname,
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

const billingWorkflow = defineWorkflow({
  StartAt: "Issue",
  States: {
    Issue: task("Issue", { next: "Issued", catch: { to: "NotInvoiced" } }),
    Issued: milestone(InvoiceIssued, { key: "$.orderId", next: "Done" }),
    Done: succeed(),
    NotInvoiced: fail("NotInvoiced", "No invoice could be issued."),
  },
});

export const billing = defineContext({
  name: "billing",
  dir: __dirname,
  events: [InvoiceIssued, InvoiceFailed],
  tasks: { Issue: aTask },
  workflow: billingWorkflow,
  failure: onFailure(InvoiceFailed, { key: "$.input.orderId", data: { orderId: "$.input.orderId", reason: "$.error" } }),
});

/** Billing without a failure milestone. */
export const billingWithoutFailure = defineContext({ name: "billing", dir: __dirname, events: [InvoiceIssued], tasks: { Issue: aTask }, workflow: billingWorkflow });

export const notify = defineConsumer({ name: "notify", on: [billing.events.InvoiceIssued, billing.events.InvoiceFailed] });
const notifyOfInvoices = defineConsumer({ name: "notify", on: [billingWithoutFailure.events.InvoiceIssued] });

export const settlesOnce = defineInvariant({
  name: "order-settles-once",
  key: "$.orderId",
  after: sales.events.OrderPlaced,
  exactlyOne: [billing.events.InvoiceIssued, sales.events.OrderRefunded],
  within: { minutes: 15 },
});

export const noInvoiceAfterRefund = defineInvariant({
  name: "no-invoice-after-refund",
  key: "$.orderId",
  after: sales.events.OrderRefunded,
  never: [billing.events.InvoiceIssued],
});

/** Both contexts, the group, both invariants. */
export const withEverything: Topology = defineTopology({ contexts: [sales, billing], consumers: [notify], invariants: [settlesOnce, noInvoiceAfterRefund] });

/** No invariants, and no context with a failure milestone. */
export const withNeither: Topology = defineTopology({ contexts: [sales, billingWithoutFailure], consumers: [notifyOfInvoices] });

/** Queues have a URL besides the mocks' usual outputs. */
export const QUEUE_URL = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;

/** Deploys `topology` as the stack `dev` with the default stack config (strict: deletion protection, a year of logs), under Pulumi's mocks. */
export async function deploy(topology: Topology): Promise<PulumiMocks> {
  const mocks = recordResources({
    stack: "dev",
    outputs: (resource) => (resource.type === "aws:sqs/queue:Queue" ? { url: QUEUE_URL(String(resource.inputs.name)) } : undefined),
  });
  new EnsemblePlatform("Ensemble", { topology: validate(topology, { stack: "dev", checkFiles: false }), stack: "dev", config: parseStackConfig("dev", {}) });
  await mocks.settled();
  return mocks;
}
