/**
 * The shipping context's own state: what each product weighs and takes up once packed, the
 * carriers and their limits, the bookings made with them and the boxes packed, kept in memory.
 * Deployed, each task's container has its own copy, so everything a later task needs travels in
 * the workflow's state; the ledgers only make each step idempotent and observable.
 */

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** The workflow's input: what `start-shipping` takes from `orders.OrderPlaced`. */
export interface ShipmentRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  /** What the customer paid, tax included; shipping passes it on to billing. */
  readonly totalCents: number;
  readonly currency: string;
}

export const Carrier = {
  /** Cheap courier for parcels; books by weight, measures the parcel at pickup. */
  ParcelPost: "parcel-post",
  /** Pallet freight: dearer, takes anything. */
  FreightLine: "freight-line",
} as const;
export type Carrier = (typeof Carrier)[keyof typeof Carrier];

export interface CarrierTerms {
  readonly maxWeightGrams: number;
  readonly maxVolumeMl: number;
  readonly baseCents: number;
  /** Per started kilogram. */
  readonly perKgCents: number;
  /** Prefix of its tracking numbers. */
  readonly trackingPrefix: string;
}

export const CARRIERS: Readonly<Record<Carrier, CarrierTerms>> = {
  "parcel-post": { maxWeightGrams: 20_000, maxVolumeMl: 30_000, baseCents: 450, perKgCents: 60, trackingPrefix: "PP" },
  "freight-line": { maxWeightGrams: 1_000_000, maxVolumeMl: 2_000_000, baseCents: 2_500, perKgCents: 40, trackingPrefix: "FL" },
};

/** Per unit, packed: the box it goes in included. */
export const PARCEL_SPECS: Readonly<Record<string, { readonly weightGrams: number; readonly volumeMl: number }>> = {
  "tea-earl-grey": { weightGrams: 250, volumeMl: 500 },
  "tea-sencha": { weightGrams: 200, volumeMl: 500 },
  "mug-white": { weightGrams: 400, volumeMl: 1_500 },
  "kettle-steel": { weightGrams: 1_600, volumeMl: 9_000 },
  teapot: { weightGrams: 1_100, volumeMl: 5_000 },
};

/** After PlanShipment: the shipment, its carrier and the pickup booked with it. */
export interface PlannedShipment extends ShipmentRequest {
  readonly shipmentId: string;
  readonly carrier: Carrier;
  readonly bookingId: string;
  readonly lineCount: number;
  readonly weightGrams: number;
  readonly volumeMl: number;
  /** What the carrier charges us. */
  readonly costCents: number;
  /** Whether the parcel was moved to another carrier after the planned one refused it. */
  readonly rebooked: boolean;
}

/** What the DispatchShipment's Catch leaves in the state (`ResultPath: "$.error"`). */
export interface RejectedShipment extends PlannedShipment {
  readonly error: { readonly Error: string; readonly Cause: string };
}

export interface DispatchedShipment extends PlannedShipment {
  readonly trackingNumber: string;
}

/** One iteration of the packing Map: the line plus what its ItemSelector adds. */
export interface PackItem {
  readonly orderId: string;
  readonly shipmentId: string;
  /** The line's position in the order, from 0. */
  readonly line: number;
  readonly sku: string;
  readonly quantity: number;
}

export interface PackedItem extends PackItem {
  readonly boxId: string;
  readonly weightGrams: number;
  readonly volumeMl: number;
}

/** A task failure a workflow catches by name (Lambda reports `name` as the error type). */
export class ShippingError extends Error {
  constructor(name: "UnknownProduct" | "ParcelRejected" | "BookingCancelled" | "ShipmentCancelled", message: string) {
    super(message);
    this.name = name;
  }
}

/** The shipment id of an order: one shipment per order, so replanning finds the same one. */
export const shipmentIdOf = (orderId: string) => `shp-${orderId}`;

/** Weight and packed volume of `quantity` units of `sku`. */
export function measureLine(sku: string, quantity: number): { weightGrams: number; volumeMl: number } {
  const spec = PARCEL_SPECS[sku];
  if (!spec) throw new ShippingError("UnknownProduct", `No parcel data for product "${sku}": it cannot be shipped.`);
  return { weightGrams: spec.weightGrams * quantity, volumeMl: spec.volumeMl * quantity };
}

/** Weight and packed volume of a whole order. */
export function measure(lines: readonly OrderLine[]): { weightGrams: number; volumeMl: number } {
  return lines.reduce(
    (sum, line) => {
      const { weightGrams, volumeMl } = measureLine(line.sku, line.quantity);
      return { weightGrams: sum.weightGrams + weightGrams, volumeMl: sum.volumeMl + volumeMl };
    },
    { weightGrams: 0, volumeMl: 0 },
  );
}

export function costOf(carrier: Carrier, weightGrams: number): number {
  const terms = CARRIERS[carrier];
  return terms.baseCents + terms.perKgCents * Math.ceil(weightGrams / 1_000);
}

/**
 * The cheapest carrier that takes the weight. Booking APIs ask for the weight only: whether the
 * parcel's size is acceptable is found out at pickup.
 */
export function chooseCarrier(weightGrams: number): Carrier {
  const fits = (Object.keys(CARRIERS) as Carrier[]).filter((carrier) => weightGrams <= CARRIERS[carrier].maxWeightGrams);
  if (fits.length === 0) throw new ShippingError("ParcelRejected", `No carrier takes ${weightGrams} g.`);
  return fits.reduce((best, carrier) => (costOf(carrier, weightGrams) < costOf(best, weightGrams) ? carrier : best));
}

interface Booking {
  readonly bookingId: string;
  readonly shipmentId: string;
  readonly carrier: Carrier;
  status: "booked" | "cancelled" | "dispatched";
  trackingNumber?: string;
}

/** Pickups booked with the carriers, and what was handed over to them. */
export class CarrierDesk {
  private readonly bookings = new Map<string, Booking>();

  /** Books a pickup; booking the same shipment with the same carrier again returns the same booking. */
  book(shipmentId: string, carrier: Carrier): string {
    const bookingId = `bk-${carrier}-${shipmentId}`;
    if (!this.bookings.has(bookingId)) this.bookings.set(bookingId, { bookingId, shipmentId, carrier, status: "booked" });
    return bookingId;
  }

  /** Compensation: gives a pickup back. Cancelling twice, or a booking this desk never saw, changes nothing. */
  cancel(bookingId: string): void {
    const booking = this.bookings.get(bookingId);
    if (booking?.status === "booked") booking.status = "cancelled";
  }

  /**
   * Hands the parcel to the carrier, which measures it and refuses what exceeds its limits. The
   * same booking handed over again returns the same tracking number.
   */
  handOver(parcel: { bookingId: string; shipmentId: string; carrier: Carrier; weightGrams: number; volumeMl: number }): string {
    const known = this.bookings.get(parcel.bookingId);
    if (known?.status === "cancelled") {
      throw new ShippingError("BookingCancelled", `Booking ${parcel.bookingId} was cancelled; book the carrier again.`);
    }
    if (known?.trackingNumber) return known.trackingNumber;
    const terms = CARRIERS[parcel.carrier];
    if (parcel.weightGrams > terms.maxWeightGrams || parcel.volumeMl > terms.maxVolumeMl) {
      throw new ShippingError(
        "ParcelRejected",
        `${parcel.carrier} refuses shipment ${parcel.shipmentId}: ${parcel.weightGrams} g and ${parcel.volumeMl / 1_000} l exceed its ${terms.maxWeightGrams} g / ${terms.maxVolumeMl / 1_000} l.`,
      );
    }
    const trackingNumber = `${terms.trackingPrefix}-${parcel.shipmentId}`;
    // A booking made by another container is known here only from the state it came with.
    const booking = known ?? { bookingId: parcel.bookingId, shipmentId: parcel.shipmentId, carrier: parcel.carrier, status: "booked" as const };
    this.bookings.set(parcel.bookingId, { ...booking, status: "dispatched", trackingNumber });
    return trackingNumber;
  }

  statusOf(bookingId: string): Booking["status"] | undefined {
    return this.bookings.get(bookingId)?.status;
  }
}

/** The workflow's input when it recalls an order's shipment (compensation; see `recall-shipment`). */
export interface RecallRequest {
  readonly orderId: string;
  readonly recall: { readonly reason: string };
}

export interface RecalledShipment extends RecallRequest {
  readonly shipmentId: string;
  readonly action: "return" | "cancel";
  readonly reason: string;
}

/**
 * Shipments recalled before dispatch: their dispatch stops. Deployed, each container has its own
 * copy; a real context keeps it in its database, where the dispatch task reads it.
 */
export class Recalls {
  private readonly cancelled = new Set<string>();
  private readonly dispatched = new Set<string>();

  /** A parcel the carrier took: a recall after this is a return. */
  markDispatched(shipmentId: string): void {
    this.dispatched.add(shipmentId);
  }

  /** Recalls a shipment: "return" when it was dispatched, else "cancel" (and it never will be). The same answer every time. */
  recall(shipmentId: string): "return" | "cancel" {
    if (this.dispatched.has(shipmentId)) return "return";
    this.cancelled.add(shipmentId);
    return "cancel";
  }

  isCancelled(shipmentId: string): boolean {
    return this.cancelled.has(shipmentId);
  }
}

/** Boxes packed per shipment, one per order line. */
export class PackingStation {
  private readonly boxes = new Map<string, PackedItem>();

  /** Packs a line into its box; packing the same line again returns the same box. */
  pack(item: PackItem): PackedItem {
    const boxId = `${item.shipmentId}-${item.line + 1}`;
    const existing = this.boxes.get(boxId);
    if (existing) return existing;
    const packed: PackedItem = { ...item, boxId, ...measureLine(item.sku, item.quantity) };
    this.boxes.set(boxId, packed);
    return packed;
  }

  boxesOf(shipmentId: string): PackedItem[] {
    return [...this.boxes.values()].filter((box) => box.shipmentId === shipmentId).sort((a, b) => a.line - b.line);
  }
}

export const desk = new CarrierDesk();
export const recalls = new Recalls();
export const packing = new PackingStation();
