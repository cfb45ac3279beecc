import { defineContext } from "../../platform/model";
import { InvoiceIssued } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "billing",
  description: "Invoices each dispatched order: tax and a number from the series, then the invoice.",
  events: [InvoiceIssued],
  tasks: {
    ComputeTax: "./tasks/compute-tax.ts",
    ReserveInvoiceNumber: "./tasks/reserve-invoice-number.ts",
    IssueInvoice: "./tasks/issue-invoice.ts",
    VoidInvoiceNumber: "./tasks/void-invoice-number.ts",
  },
  workflow,
});
