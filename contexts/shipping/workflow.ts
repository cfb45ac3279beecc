import { defineWorkflow, milestone, succeed, task, transient } from "../../platform/model";
import { LinePacked, ShipmentDispatched, ShipmentScheduled } from "./events";

/**
 * Plan and book a carrier, pack every order line (one Map iteration and one LinePacked event per
 * line), hand the parcel over. A carrier that refuses the parcel at pickup is compensated: its
 * booking is cancelled and the parcel goes by freight.
 */
export default defineWorkflow({
  Comment: "Ships a placed order: plan, pack each line, dispatch (by freight when the courier refuses the parcel).",
  StartAt: "Plan",
  States: {
    Plan: task("PlanShipment", { next: "Scheduled", retry: transient }),
    Scheduled: milestone(ShipmentScheduled, { key: "$.shipmentId", next: "PackLines" }),
    PackLines: {
      Type: "Map",
      Comment: "One box per order line; the state is kept as it was (ResultPath null).",
      ItemsPath: "$.lines",
      ItemSelector: {
        "orderId.$": "$.orderId",
        "shipmentId.$": "$.shipmentId",
        "line.$": "$$.Map.Item.Index",
        "sku.$": "$$.Map.Item.Value.sku",
        "quantity.$": "$$.Map.Item.Value.quantity",
      },
      MaxConcurrency: 4,
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: "Pack",
        States: {
          Pack: task("PackLine", { next: "Packed", retry: transient }),
          Packed: milestone(LinePacked, { key: "$.shipmentId", end: true }),
        },
      },
      ResultPath: null,
      Next: "Dispatch",
    },
    Dispatch: task("DispatchShipment", { next: "Dispatched", retry: transient, catch: { errors: ["ParcelRejected"], to: "Rebook" } }),
    Rebook: task("RebookCarrier", { next: "DispatchByFreight", retry: transient, comment: "Compensation: cancel the refused booking, book freight." }),
    DispatchByFreight: task("DispatchShipment", { next: "Dispatched", retry: transient }),
    Dispatched: milestone(ShipmentDispatched, { key: "$.shipmentId", next: "Shipped" }),
    Shipped: succeed(),
  },
});
