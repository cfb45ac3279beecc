import analytics from "./analytics/consumer";
import auditArchive from "./audit-archive/consumer";
import notifyCustomer from "./notify-customer/consumer";
import recallShipment from "./recall-shipment/consumer";
import refundOrder from "./refund-order/consumer";
import salesLedger from "./sales-ledger/consumer";
import startBilling from "./start-billing/consumer";
import startShipping from "./start-shipping/consumer";

/** Every consumer group. `npm run add-consumer` registers new groups here. */
export const consumers = [notifyCustomer, salesLedger, startShipping, startBilling, analytics, auditArchive, refundOrder, recallShipment] as const;
