import { defineWorkflow, fail, milestone, succeed, task, transient, WAIT_TIMED_OUT, waitFor } from "../../platform/model";
import { ShipmentDispatched } from "../shipping/events";
import { InvoiceIssued } from "./events";

/** How long billing waits for shipping to dispatch a placed order before it gives the invoice up. */
export const DISPATCH_WAIT_SECONDS = 7 * 24 * 3600;

/**
 * Waits for shipping to dispatch the order, then computes the tax and reserves an invoice number
 * in parallel, then issues the invoice. When it cannot (a currency without a tax rate, or no
 * dispatch within a week) the execution fails, and the context's failure milestone,
 * `InvoiceFailed`, tells the other contexts, which compensate: orders refunds the payment,
 * shipping recalls the parcel (see context.ts).
 */
export default defineWorkflow({
  Comment: "Invoices a placed order once shipping has dispatched it: tax and invoice number in parallel, then the invoice.",
  StartAt: "AwaitDispatch",
  // The wait, and a day for the rest: bounds how far back the failure reconciliation looks.
  TimeoutSeconds: DISPATCH_WAIT_SECONDS + 86_400,
  States: {
    AwaitDispatch: waitFor(ShipmentDispatched, {
      from: "shipping",
      key: "$.orderId",
      timeoutSeconds: DISPATCH_WAIT_SECONDS,
      resultPath: "$.dispatch",
      catch: { errors: [WAIT_TIMED_OUT], to: "NotDispatched" },
      next: "Prepare",
    }),
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
      Next: "Issue",
    },
    Issue: task("IssueInvoice", { next: "Issued", retry: transient }),
    Issued: milestone(InvoiceIssued, { key: "$.invoiceId", next: "Invoiced" }),
    Invoiced: succeed(),
    VoidNumber: task("VoidInvoiceNumber", { next: "NotInvoiced", retry: transient, comment: "Compensation: void the number the other branch reserved." }),
    NotInvoiced: fail("UnsupportedCurrency", "The order's currency has no tax rate: no invoice was issued and its number was voided."),
    NotDispatched: fail("NotDispatched", "Shipping did not dispatch the order within the wait: no invoice was issued."),
  },
});
