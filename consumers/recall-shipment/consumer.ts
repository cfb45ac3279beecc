import { billing, shipping } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "recall-shipment",
  description: "Compensation: recalls the shipment of an order billing could not invoice (a return if dispatched, else cancelled).",
  on: [billing.events.InvoiceFailed],
  startWorkflow: shipping,
  // Its executions take the workflow's compensation path, which publishes only this event.
  reaches: [shipping.events.ShipmentRecalled],
  batch: { size: 10 },
  scaling: { minPollers: 1, maxPollers: 2 },
});
