import { defineContext, onFailure } from "../../platform/model";
import { InvoiceFailed, InvoiceIssued } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "billing",
  dir: __dirname,
  description: "Invoices each dispatched order: tax and a number from the series, then the invoice; says so when it cannot.",
  events: [InvoiceIssued, InvoiceFailed],
  tasks: {
    ComputeTax: () => import("./tasks/compute-tax.js"),
    ReserveInvoiceNumber: () => import("./tasks/reserve-invoice-number.js"),
    IssueInvoice: () => import("./tasks/issue-invoice.js"),
    VoidInvoiceNumber: () => import("./tasks/void-invoice-number.js"),
  },
  workflow,
  // Published before each Fail state, and for any other failure: orders and shipping compensate.
  failure: onFailure(InvoiceFailed, {
    key: "$.input.orderId",
    data: {
      orderId: "$.input.orderId",
      customerId: "$.input.customerId",
      totalCents: "$.input.totalCents",
      currency: "$.input.currency",
      reason: "$.error",
      detail: "$.cause",
    },
  }),
});
