import { defineContext } from "../../platform/model";
import { LinePacked, ShipmentDispatched, ShipmentScheduled } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "shipping",
  dir: __dirname,
  description: "Ships each placed order: books a carrier, packs every line, hands the parcel over.",
  events: [ShipmentScheduled, LinePacked, ShipmentDispatched],
  tasks: {
    PlanShipment: () => import("./tasks/plan-shipment.js"),
    PackLine: () => import("./tasks/pack-line.js"),
    DispatchShipment: () => import("./tasks/dispatch-shipment.js"),
    RebookCarrier: () => import("./tasks/rebook-carrier.js"),
  },
  workflow,
});
