import * as z from "zod";
import { defineEvent } from "../../platform/model";

export const OrderPlaced = defineEvent({
  name: "OrderPlaced",
  description: "Stock is reserved and payment captured; the order will be fulfilled.",
  schema: z.object({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
    totalCents: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
});

export const OrderRejected = defineEvent({
  name: "OrderRejected",
  description: "The order could not be placed; any reservation was released.",
  schema: z.object({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    reason: z.enum(["out-of-stock", "payment-declined", "invalid-order"]),
  }),
});

export const OrderRefunded = defineEvent({
  name: "OrderRefunded",
  description: "The order's payment was refunded because another context could not complete its part (compensation); the order is marked refunded.",
  schema: z.object({
    orderId: z.string().min(1),
    customerId: z.string().min(1),
    refundedCents: z.number().int().nonnegative(),
    currency: z.string().length(3),
    /** Why, as the failing context said it (e.g. billing's `UnsupportedCurrency`). */
    reason: z.string().min(1),
  }),
});
