import billing from "./billing/context";
import orders from "./orders/context";
import shipping from "./shipping/context";

/** Every bounded context of the system. Add a context here to deploy it. */
export const contexts = [orders, shipping, billing] as const;

export { billing, orders, shipping };
