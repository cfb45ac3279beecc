import { billing, orders } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "refund-order",
  description: "Compensation: refunds an order billing could not invoice (orders' workflow, refund path).",
  on: [billing.events.InvoiceFailed],
  startWorkflow: orders,
  // Its executions take the workflow's compensation path, which publishes only this event.
  reaches: [orders.events.OrderRefunded],
  batch: { size: 10 },
  scaling: { minPollers: 1, maxPollers: 2 },
});
