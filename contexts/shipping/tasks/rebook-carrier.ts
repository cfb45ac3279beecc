import { Carrier, costOf, desk, type PlannedShipment, type RejectedShipment } from "../domain";

/**
 * Compensation for a refused parcel: cancels the planned carrier's pickup and books freight,
 * which takes any size. The refusal itself stays in the execution history, not in the state.
 */
export async function handler(state: RejectedShipment): Promise<PlannedShipment> {
  const { error: _refusal, ...shipment } = state;
  desk.cancel(shipment.bookingId);
  const carrier = Carrier.FreightLine;
  return {
    ...shipment,
    carrier,
    bookingId: desk.book(shipment.shipmentId, carrier),
    costCents: costOf(carrier, shipment.weightGrams),
    rebooked: true,
  };
}
