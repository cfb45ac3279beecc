import { defineWorkflow, fail, milestone, succeed, task, transient, WAIT_TIMED_OUT, waitFor } from "../../platform/model";
import { ShipmentDispatched } from "../shipping/events";
import { InvoiceIssued } from "./events";

/** How long billing waits for shipping to dispatch a placed order before it gives the invoice up. */
export const DISPATCH_WAIT_SECONDS = 7 * 24 * 3600;

/**
 * Computes the tax and reserves an invoice number in parallel as soon as the order is placed,
 * waits for shipping to dispatch that order, then issues the invoice. A currency without a tax
 * rate, or an order not dispatched within a week, voids the reserved number and leaves the order
 * to be invoiced by hand (the execution fails, visibly).
 */
export default defineWorkflow({
  Comment: "Invoices a placed order once shipping has dispatched it: tax and invoice number in parallel, then the invoice.",
  StartAt: "Prepare",
  States: {
    Prepare: {
      Type: "Parallel",
      Branches: [
        { StartAt: "Tax", States: { Tax: task("ComputeTax", { end: true, retry: transient }) } },
        { StartAt: "Number", States: { Number: task("ReserveInvoiceNumber", { end: true, retry: transient }) } },
      ],
      // Each branch returns the whole state with its part; keep only the parts.
      ResultSelector: { "tax.$": "$[0].tax", "invoiceNumber.$": "$[1].invoiceNumber" },
      ResultPath: "$.prepared",
      Catch: [{ ErrorEquals: ["UnsupportedCurrency"], ResultPath: "$.error", Next: "VoidNumber" }],
      Next: "AwaitDispatch",
    },
    AwaitDispatch: waitFor(ShipmentDispatched, {
      from: "shipping",
      key: "$.orderId",
      timeoutSeconds: DISPATCH_WAIT_SECONDS,
      resultPath: "$.dispatch",
      catch: { errors: [WAIT_TIMED_OUT], to: "VoidUndispatched" },
      next: "Issue",
    }),
    Issue: task("IssueInvoice", { next: "Issued", retry: transient }),
    Issued: milestone(InvoiceIssued, { key: "$.invoiceId", next: "Invoiced" }),
    Invoiced: succeed(),
    VoidNumber: task("VoidInvoiceNumber", { next: "NotInvoiced", retry: transient, comment: "Compensation: void the number the other branch reserved." }),
    NotInvoiced: fail("UnsupportedCurrency", "The order's currency has no tax rate: no invoice was issued and its number was voided; invoice it by hand."),
    VoidUndispatched: task("VoidInvoiceNumber", { next: "NotDispatched", retry: transient, comment: "Compensation: the order was not dispatched in time; void its number." }),
    NotDispatched: fail("NotDispatched", "Shipping did not dispatch the order within the wait: no invoice was issued and its number was voided; invoice it by hand once it ships."),
  },
});
