import * as z from "zod";
import { defineConsumer, defineContext, defineEvent, defineTopology, defineWorkflow, milestone, succeed, task, validate } from "../../../platform/model";

/**
 * A breaking change published side by side: `orders` declares OrderPlaced version 1 and version 2
 * (the total became an amount with its currency) and its workflow publishes both; `invoice` still
 * reads version 1, `ledger` has moved to version 2.
 */

const aTask = async () => ({ handler: async (state: unknown) => state });

export const OrderPlaced = defineEvent({ name: "OrderPlaced", schema: z.object({ orderId: z.string(), totalCents: z.number().int() }) });
export const OrderPlacedV2 = defineEvent({
  name: "OrderPlaced",
  version: 2,
  schema: z.object({ orderId: z.string(), amount: z.object({ cents: z.number().int(), currency: z.string().length(3) }) }),
});

export const orders = defineContext({
  name: "orders",
  events: [OrderPlaced, OrderPlacedV2],
  tasks: { Place: aTask },
  workflow: defineWorkflow({
    StartAt: "Place",
    States: {
      Place: task("Place", { next: "Placed" }),
      Placed: milestone(OrderPlaced, { key: "$.orderId", next: "PlacedV2" }),
      PlacedV2: milestone(OrderPlacedV2, { key: "$.orderId", data: "$.v2", next: "Done" }),
      Done: succeed(),
    },
  }),
});

export const invoice = defineConsumer({ name: "invoice", on: [orders.events.OrderPlaced] });
export const ledger = defineConsumer({ name: "ledger", on: [orders.events["OrderPlaced.v2"]] });

export const sideBySideTopology = defineTopology({ contexts: [orders], consumers: [invoice, ledger] });

/** Validated without looking for task and handler files: its tasks and groups have none. */
export const validSideBySide = (stack = "dev") => validate(sideBySideTopology, { stack, checkFiles: false });
