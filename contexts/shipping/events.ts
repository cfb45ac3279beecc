import * as z from "zod";
import { defineEvent } from "../../platform/model";

const carrier = z.enum(["parcel-post", "freight-line"]);

export const ShipmentScheduled = defineEvent({
  name: "ShipmentScheduled",
  description: "A placed order has a shipment, a carrier and a booked pickup; packing starts.",
  schema: z.object({
    shipmentId: z.string().min(1),
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    carrier,
    lineCount: z.number().int().positive(),
    weightGrams: z.number().int().positive(),
    costCents: z.number().int().nonnegative(),
  }),
});

export const LinePacked = defineEvent({
  name: "LinePacked",
  description: "One order line is packed into its box (one event per line, published inside the packing Map).",
  schema: z.object({
    shipmentId: z.string().min(1),
    orderId: z.string().min(1),
    /** The line's position in the order, from 0. */
    line: z.number().int().nonnegative(),
    sku: z.string().min(1),
    quantity: z.number().int().positive(),
    boxId: z.string().min(1),
    weightGrams: z.number().int().positive(),
    volumeMl: z.number().int().positive(),
  }),
});

export const ShipmentDispatched = defineEvent({
  name: "ShipmentDispatched",
  description: "The carrier took the parcel. Carries the order's total so billing can invoice it.",
  schema: z.object({
    shipmentId: z.string().min(1),
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    carrier,
    trackingNumber: z.string().min(1),
    /** Whether the planned carrier refused the parcel and it went by freight instead. */
    rebooked: z.boolean(),
    weightGrams: z.number().int().positive(),
    volumeMl: z.number().int().positive(),
    /** What the carrier charges us. */
    costCents: z.number().int().nonnegative(),
    /** What the customer paid for the order (tax included), for the invoice. */
    totalCents: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
});

export const ShipmentRecalled = defineEvent({
  name: "ShipmentRecalled",
  description: "Compensation for an order another context could not complete: a dispatched parcel is expected back (return), one not yet dispatched is cancelled.",
  schema: z.object({
    shipmentId: z.string().min(1),
    orderId: z.string().min(1),
    action: z.enum(["return", "cancel"]),
    reason: z.string().min(1),
  }),
});
