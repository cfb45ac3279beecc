import { defineWorkflow, milestone, succeed, task, transient } from "../../platform/model";
import { LinePacked, ShipmentDispatched, ShipmentRecalled, ShipmentScheduled } from "./events";

/**
 * Plan and book a carrier, pack every order line (one Map iteration and one LinePacked event per
 * line), hand the parcel over. A carrier that refuses the parcel at pickup is compensated: its
 * booking is cancelled and the parcel goes by freight. An input with `recall` (what
 * `recall-shipment` starts when billing cannot invoice) recalls the order's shipment instead: a
 * parcel already dispatched is expected back, one not yet dispatched is cancelled, and its
 * dispatch then stops (`ShipmentCancelled`) without a ShipmentDispatched.
 */
export default defineWorkflow({
  Comment: "Ships a placed order: plan, pack each line, dispatch (by freight when the courier refuses the parcel).",
  StartAt: "Route",
  States: {
    Route: { Type: "Choice", Choices: [{ Variable: "$.recall", IsPresent: true, Next: "Recall" }], Default: "Plan" },
    Recall: task("RecallShipment", { next: "Recalled", retry: transient }),
    Recalled: milestone(ShipmentRecalled, { key: "$.shipmentId", next: "RecallDone" }),
    RecallDone: succeed(),
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
    Dispatch: task("DispatchShipment", {
      next: "Dispatched",
      retry: transient,
      catch: [
        { errors: ["ParcelRejected"], to: "Rebook" },
        { errors: ["ShipmentCancelled"], to: "Cancelled" },
      ],
    }),
    Rebook: task("RebookCarrier", { next: "DispatchByFreight", retry: transient, comment: "Compensation: cancel the refused booking, book freight." }),
    DispatchByFreight: task("DispatchShipment", { next: "Dispatched", retry: transient, catch: { errors: ["ShipmentCancelled"], to: "Cancelled" } }),
    Cancelled: { Type: "Succeed", Comment: "Recalled before dispatch: nothing leaves the warehouse." },
    Dispatched: milestone(ShipmentDispatched, { key: "$.shipmentId", next: "Shipped" }),
    Shipped: succeed(),
  },
});
