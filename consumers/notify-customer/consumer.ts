import { billing, orders, shipping } from "../../contexts";
import { defineConsumer } from "../../platform/model";

export default defineConsumer({
  name: "notify-customer",
  description: "Keeps the customer informed: order placed or not, parcel on its way, invoice issued.",
  on: [orders.events.OrderPlaced, orders.events.OrderRejected, shipping.events.ShipmentDispatched, billing.events.InvoiceIssued],
  batch: { size: 50 },
  scaling: { minPollers: 1, maxPollers: 4 },
});
