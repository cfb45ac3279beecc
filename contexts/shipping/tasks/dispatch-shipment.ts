import { type DispatchedShipment, desk, type PlannedShipment, recalls, ShippingError } from "../domain";

/** Hands the parcel to the booked carrier; an oversize parcel fails with `ParcelRejected`, a recalled shipment with `ShipmentCancelled`. */
export async function handler(state: PlannedShipment): Promise<DispatchedShipment> {
  if (recalls.isCancelled(state.shipmentId)) {
    desk.cancel(state.bookingId);
    throw new ShippingError("ShipmentCancelled", `Shipment ${state.shipmentId} was recalled before dispatch; its booking is cancelled.`);
  }
  const trackingNumber = desk.handOver(state);
  recalls.markDispatched(state.shipmentId);
  return { ...state, trackingNumber };
}
