/**
 * The example domain as the repository ships it. Tests that pin its facts (names, counts, lists)
 * look only at these, so a context or consumer group added with `npm run add-context` or
 * `npm run add-consumer` leaves them true; what is added is checked by its own generated tests.
 */
export const EXAMPLE_CONTEXTS: readonly string[] = ["orders", "shipping", "billing"];
/** The groups of consumers/, then the platform's: billing's correlator (its `waitFor` of shipping's ShipmentDispatched) and the invariants checker. */
export const EXAMPLE_GROUPS: readonly string[] = [
  "notify-customer",
  "sales-ledger",
  "start-shipping",
  "start-billing",
  "analytics",
  "audit-archive",
  "refund-order",
  "recall-shipment",
  "billing-correlator",
  "invariants",
];

/** Whether a context or group (a topic's owner, an event's context) is part of the shipped example. */
export const inExample = (name: string): boolean => EXAMPLE_CONTEXTS.includes(name) || EXAMPLE_GROUPS.includes(name);
