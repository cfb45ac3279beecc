import orders from "./orders/context";

/** Every bounded context of the system. Add a context here to deploy it. */
export const contexts = [orders] as const;

export { orders };
