import { billing, shipping } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "start-billing",
  description: "Starts the billing workflow for every dispatched shipment.",
  on: [shipping.events.ShipmentDispatched],
  startWorkflow: billing,
  batch: { size: 10 },
  scaling: { minPollers: 1, maxPollers: 5 },
});
