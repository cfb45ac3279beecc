import { defineWorkflow, fail, milestone, succeed, task, transient } from "../../platform/model";
import { InvoiceIssued } from "./events";

/**
 * Computes the tax and reserves an invoice number in parallel, then issues the invoice. A
 * currency without a tax rate voids the reserved number and leaves the order to be invoiced by
 * hand (the execution fails, visibly).
 */
export default defineWorkflow({
  Comment: "Invoices a dispatched order: tax and invoice number in parallel, then the invoice.",
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
      Next: "Issue",
    },
    Issue: task("IssueInvoice", { next: "Issued", retry: transient }),
    Issued: milestone(InvoiceIssued, { key: "$.invoiceId", next: "Invoiced" }),
    Invoiced: succeed(),
    VoidNumber: task("VoidInvoiceNumber", { next: "NotInvoiced", retry: transient, comment: "Compensation: void the number the other branch reserved." }),
    NotInvoiced: fail("UnsupportedCurrency", "The order's currency has no tax rate: no invoice was issued and its number was voided; invoice it by hand."),
  },
});
