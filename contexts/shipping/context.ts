import { defineContext } from "../../platform/model";
import { LinePacked, ShipmentDispatched, ShipmentRecalled, ShipmentScheduled } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "shipping",
  dir: __dirname,
  description: "Ships each placed order: books a carrier, packs every line, hands the parcel over; recalls it when the order cannot be completed.",
  events: [ShipmentScheduled, LinePacked, ShipmentDispatched, ShipmentRecalled],
  tasks: {
    PlanShipment: () => import("./tasks/plan-shipment.js"),
    PackLine: () => import("./tasks/pack-line.js"),
    DispatchShipment: () => import("./tasks/dispatch-shipment.js"),
    RebookCarrier: () => import("./tasks/rebook-carrier.js"),
    RecallShipment: () => import("./tasks/recall-shipment.js"),
  },
  workflow,
});
