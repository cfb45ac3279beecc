import { orders } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "sales-ledger",
  description: "Books revenue for every placed order; batches large, scales little.",
  on: [orders.events.OrderPlaced],
  batch: { size: 500, windowSeconds: 5 },
  scaling: { minPollers: 1, maxPollers: 2 },
  retries: 10,
});
