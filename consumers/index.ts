import notifyCustomer from "./notify-customer/consumer";
import salesLedger from "./sales-ledger/consumer";

/** Every consumer group. `npm run add-consumer` registers new groups here. */
export const consumers = [notifyCustomer, salesLedger] as const;
