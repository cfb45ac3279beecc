import type { RefundRequest } from "../../contexts/orders/domain";
import type { ConsumedEvent } from "../../platform/model";
import { startsWorkflow } from "../../platform/runtime";
import consumer from "./consumer";

/** The orders workflow's refund input for an order billing could not invoice: what was paid, and why. */
export function refundRequestFor(event: ConsumedEvent<typeof consumer>): RefundRequest {
  const { orderId, customerId, totalCents, currency, reason } = event.data;
  return { orderId, customerId, currency, refund: { cents: totalCents, reason: `billing: ${reason}` } };
}

/** One refund execution per InvoiceFailed event, named after the event id: a redelivery or a replay refunds nothing twice. */
export const handler = startsWorkflow(consumer, { input: refundRequestFor });
