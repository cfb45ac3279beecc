import { defineContext } from "../../platform/model";
import { InvoiceIssued } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "billing",
  dir: __dirname,
  description: "Invoices each dispatched order: tax and a number from the series, then the invoice.",
  events: [InvoiceIssued],
  tasks: {
    ComputeTax: () => import("./tasks/compute-tax.js"),
    ReserveInvoiceNumber: () => import("./tasks/reserve-invoice-number.js"),
    IssueInvoice: () => import("./tasks/issue-invoice.js"),
    VoidInvoiceNumber: () => import("./tasks/void-invoice-number.js"),
  },
  workflow,
});
