import { type DispatchedShipment, desk, type PlannedShipment } from "../domain";

/** Hands the parcel to the booked carrier; an oversize parcel fails with `ParcelRejected`. */
export async function handler(state: PlannedShipment): Promise<DispatchedShipment> {
  return { ...state, trackingNumber: desk.handOver(state) };
}
