import type { ShipmentRequest } from "../../contexts/shipping/domain";
import type { ConsumedEvent } from "../../platform/model";
import { startsWorkflow } from "../../platform/runtime";
import consumer from "./consumer";

/** The shipping workflow's input for a placed order: what to ship, to whom, and what was paid (for billing, later). */
export function shipmentRequestFor(event: ConsumedEvent<typeof consumer>): ShipmentRequest {
  const { orderId, customerId, lines, totalCents, currency } = event.data;
  return { orderId, customerId, lines: lines.map(({ sku, quantity }) => ({ sku, quantity })), totalCents, currency };
}

/** One shipping execution per OrderPlaced event, named after the event id: a redelivery starts nothing. */
export const handler = startsWorkflow(consumer, { input: shipmentRequestFor });
