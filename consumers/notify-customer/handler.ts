import type { ConsumedEvent } from "../../platform/model";
import { consume } from "../../platform/runtime";
import consumer from "./consumer";

export interface Notification {
  readonly customerId: string;
  readonly orderId: string;
  readonly text: string;
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** What the customer is told for each event; the runtime wrapper calls this per record. */
export function notificationFor(event: ConsumedEvent<typeof consumer>): Notification {
  switch (event.type) {
    case "orders.OrderPlaced": {
      const items = event.data.lines.reduce((sum, line) => sum + line.quantity, 0);
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Order ${event.data.orderId} placed: ${items} item(s), ${money(event.data.totalCents, event.data.currency)}.`,
      };
    }
    case "orders.OrderRejected":
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Order ${event.data.orderId} could not be placed (${event.data.reason}).`,
      };
    case "shipping.ShipmentDispatched":
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Order ${event.data.orderId} is on its way with ${event.data.carrier}, tracking number ${event.data.trackingNumber}.`,
      };
    case "billing.InvoiceIssued":
      return {
        customerId: event.data.customerId,
        orderId: event.data.orderId,
        text: `Invoice ${event.data.invoiceNumber} for order ${event.data.orderId}: ${money(event.data.totalCents, event.data.currency)}, of which tax ${money(event.data.taxCents, event.data.currency)}.`,
      };
  }
}

/** What was sent to whom: one message per customer, order and kind of event. */
export class Outbox {
  private readonly sent = new Map<string, Notification>();

  /** Sends once per (event type, order); a redelivered or replayed event sends nothing. Returns whether it was sent. */
  send(eventType: string, notification: Notification): boolean {
    const key = `${eventType}:${notification.orderId}`;
    if (this.sent.has(key)) return false;
    this.sent.set(key, notification);
    return true;
  }

  /** A customer's messages, in the order they were sent. */
  sentTo(customerId: string): Notification[] {
    return [...this.sent.values()].filter((n) => n.customerId === customerId);
  }

  get size(): number {
    return this.sent.size;
  }
}

/** This container's outbox; the example keeps it in memory. */
export const outbox = new Outbox();

/** The Lambda handler: one notification per event, once per event id and once per order and type. */
export const handler = consume(consumer, (event, { logger }) => {
  const notification = notificationFor(event);
  // Sending is out of scope for the example; the outbox and the structured log line are the notification.
  if (outbox.send(event.type, notification)) logger.info("customer notified", { ...notification });
});
