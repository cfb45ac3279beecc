import { type RecalledShipment, type RecallRequest, recalls, shipmentIdOf } from "../domain";

/** Compensation: a dispatched parcel is expected back, one not yet dispatched is cancelled. */
export async function handler(state: RecallRequest): Promise<RecalledShipment> {
  const shipmentId = shipmentIdOf(state.orderId);
  return { ...state, shipmentId, action: recalls.recall(shipmentId), reason: state.recall.reason };
}
