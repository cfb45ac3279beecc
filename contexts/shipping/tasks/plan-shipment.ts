import { chooseCarrier, costOf, desk, measure, type PlannedShipment, type ShipmentRequest, shipmentIdOf } from "../domain";

/** Weighs the order, picks the cheapest carrier for the weight and books a pickup with it. */
export async function handler(state: ShipmentRequest): Promise<PlannedShipment> {
  const shipmentId = shipmentIdOf(state.orderId);
  const { weightGrams, volumeMl } = measure(state.lines);
  const carrier = chooseCarrier(weightGrams);
  return {
    ...state,
    shipmentId,
    carrier,
    bookingId: desk.book(shipmentId, carrier),
    lineCount: state.lines.length,
    weightGrams,
    volumeMl,
    costCents: costOf(carrier, weightGrams),
    rebooked: false,
  };
}
