import type { InvoiceRequest } from "../../contexts/billing/domain";
import type { ConsumedEvent } from "../../platform/model";
import { startsWorkflow } from "../../platform/runtime";
import consumer from "./consumer";

/** The billing workflow's input for a placed order: the order and what the customer paid for it. */
export function invoiceRequestFor(event: ConsumedEvent<typeof consumer>): InvoiceRequest {
  const { orderId, customerId, totalCents, currency } = event.data;
  return { orderId, customerId, totalCents, currency };
}

/** One billing execution per OrderPlaced event, named after the event id: a redelivery starts nothing. */
export const handler = startsWorkflow(consumer, { input: invoiceRequestFor });
