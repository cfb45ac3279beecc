import { defineContext } from "../../platform/model";
import { LinePacked, ShipmentDispatched, ShipmentScheduled } from "./events";
import workflow from "./workflow";

export default defineContext({
  name: "shipping",
  description: "Ships each placed order: books a carrier, packs every line, hands the parcel over.",
  events: [ShipmentScheduled, LinePacked, ShipmentDispatched],
  tasks: {
    PlanShipment: "./tasks/plan-shipment.ts",
    PackLine: "./tasks/pack-line.ts",
    DispatchShipment: "./tasks/dispatch-shipment.ts",
    RebookCarrier: "./tasks/rebook-carrier.ts",
  },
  workflow,
});
