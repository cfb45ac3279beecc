import type { RecallRequest } from "../../contexts/shipping/domain";
import type { ConsumedEvent } from "../../platform/model";
import { startsWorkflow } from "../../platform/runtime";
import consumer from "./consumer";

/** The shipping workflow's recall input for an order billing could not invoice. */
export function recallRequestFor(event: ConsumedEvent<typeof consumer>): RecallRequest {
  return { orderId: event.data.orderId, recall: { reason: `billing: ${event.data.reason}` } };
}

/** One recall execution per InvoiceFailed event, named after the event id. */
export const handler = startsWorkflow(consumer, { input: recallRequestFor });
