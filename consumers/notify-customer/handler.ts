import type { ConsumedEvent } from "../../platform/model";
import { consume } from "../../platform/runtime";
import consumer from "./consumer";

export interface Notification {
  readonly customerId: string;
  readonly orderId: string;
  readonly text: string;
}

/** What the customer is told for each event; the runtime wrapper calls this per record. */
export function notificationFor(event: ConsumedEvent<typeof consumer>): Notification {
  switch (event.type) {
    case "orders.OrderPlaced": {
      const items = event.data.lines.reduce((sum, line) => sum + line.quantity, 0);
      const total = (event.data.totalCents / 100).toFixed(2);
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Order ${event.data.orderId} placed: ${items} item(s), ${total} ${event.data.currency}.`,
      };
    }
    case "orders.OrderRejected":
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Order ${event.data.orderId} could not be placed (${event.data.reason}).`,
      };
  }
}

/** The Lambda handler: one notification per event, once per event id. */
export const handler = consume(consumer, (event, { logger }) => {
  const notification = notificationFor(event);
  // Sending is out of scope for the example; the structured log line is the notification.
  logger.info("customer notified", { ...notification });
});
