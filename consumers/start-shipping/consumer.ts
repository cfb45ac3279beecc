import { orders, shipping } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "start-shipping",
  description: "Starts the shipping workflow for every placed order.",
  on: [orders.events.OrderPlaced],
  startWorkflow: shipping,
  batch: { size: 10 },
  scaling: { minPollers: 1, maxPollers: 10 },
});
