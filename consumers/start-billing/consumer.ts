import { billing, orders } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "start-billing",
  description: "Starts the billing workflow for every placed order; the workflow waits for its dispatch before invoicing.",
  on: [orders.events.OrderPlaced],
  startWorkflow: billing,
  batch: { size: 10 },
  scaling: { minPollers: 1, maxPollers: 5 },
});
