import { shipping } from "../../../contexts";
import {
  Carrier,
  CarrierDesk,
  chooseCarrier,
  costOf,
  desk,
  measure,
  PackingStation,
  type PlannedShipment,
  type ShipmentRequest,
  ShippingError,
} from "../../../contexts/shipping/domain";
import { handler as dispatchShipment } from "../../../contexts/shipping/tasks/dispatch-shipment";
import { handler as packLine } from "../../../contexts/shipping/tasks/pack-line";
import { handler as planShipment } from "../../../contexts/shipping/tasks/plan-shipment";
import { handler as rebookCarrier } from "../../../contexts/shipping/tasks/rebook-carrier";
import { runWorkflow } from "./run-workflow";

const order = (orderId: string, lines: ShipmentRequest["lines"]): ShipmentRequest => ({ orderId, customerId: "c-1", lines, totalCents: 12_345, currency: "EUR" });
/** 4 kettles: 6.4 kg, which parcel-post books, and 36 l, which it refuses at pickup (30 l at most). */
const oversize = (orderId: string) => order(orderId, [{ sku: "kettle-steel", quantity: 4 }]);

describe("shipping domain", () => {
  it("weighs and measures an order from the products' packed sizes", () => {
    expect(measure([{ sku: "tea-sencha", quantity: 2 }, { sku: "teapot", quantity: 1 }])).toEqual({ weightGrams: 1_500, volumeMl: 6_000 });
  });

  it("refuses a product it has no parcel data for, by a name a Catch can match", () => {
    const act = () => measure([{ sku: "anvil", quantity: 1 }]);
    expect(act).toThrow(ShippingError);
    expect(act).toThrow(expect.objectContaining({ name: "UnknownProduct", message: 'No parcel data for product "anvil": it cannot be shipped.' }));
  });

  it("picks the cheapest carrier that takes the weight, and prices per started kilogram", () => {
    expect(chooseCarrier(6_400)).toBe(Carrier.ParcelPost);
    expect(chooseCarrier(20_000)).toBe(Carrier.ParcelPost);
    expect(chooseCarrier(20_001)).toBe(Carrier.FreightLine);
    expect(costOf(Carrier.ParcelPost, 6_400)).toBe(450 + 7 * 60);
    expect(costOf(Carrier.FreightLine, 6_400)).toBe(2_500 + 7 * 40);
  });

  describe("the carrier desk", () => {
    const parcel = (desk: CarrierDesk, carrier: Carrier, volumeMl: number) => ({
      bookingId: desk.book("shp-1", carrier),
      shipmentId: "shp-1",
      carrier,
      weightGrams: 6_400,
      volumeMl,
    });

    it("books once per shipment and carrier, and hands over once per booking", () => {
      const desk = new CarrierDesk();
      expect(desk.book("shp-1", Carrier.ParcelPost)).toBe("bk-parcel-post-shp-1");
      expect(desk.book("shp-1", Carrier.ParcelPost)).toBe("bk-parcel-post-shp-1");
      const ok = parcel(desk, Carrier.ParcelPost, 30_000);
      expect(desk.handOver(ok)).toBe("PP-shp-1");
      expect(desk.handOver(ok)).toBe("PP-shp-1");
      expect(desk.statusOf(ok.bookingId)).toBe("dispatched");
    });

    it("lets the carrier refuse a parcel above its size at pickup", () => {
      const desk = new CarrierDesk();
      expect(() => desk.handOver(parcel(desk, Carrier.ParcelPost, 36_000))).toThrow(
        expect.objectContaining({ name: "ParcelRejected", message: "parcel-post refuses shipment shp-1: 6400 g and 36 l exceed its 20000 g / 30 l." }),
      );
      expect(desk.handOver(parcel(desk, Carrier.FreightLine, 36_000))).toBe("FL-shp-1");
    });

    it("cancels a booking idempotently and never dispatches on a cancelled one", () => {
      const desk = new CarrierDesk();
      const booked = parcel(desk, Carrier.ParcelPost, 1_000);
      desk.cancel(booked.bookingId);
      desk.cancel(booked.bookingId);
      desk.cancel("bk-unknown");
      expect(desk.statusOf(booked.bookingId)).toBe("cancelled");
      expect(() => desk.handOver(booked)).toThrow(expect.objectContaining({ name: "BookingCancelled" }));
    });

    it("hands over a booking another container made, from what the state carries", () => {
      const desk = new CarrierDesk();
      expect(desk.handOver({ bookingId: "bk-parcel-post-shp-9", shipmentId: "shp-9", carrier: Carrier.ParcelPost, weightGrams: 500, volumeMl: 1_000 })).toBe("PP-shp-9");
    });
  });

  it("packs one box per line, once, and lists a shipment's boxes in line order", () => {
    const station = new PackingStation();
    const item = (line: number, sku: string, quantity: number) => ({ orderId: "o-1", shipmentId: "shp-o-1", line, sku, quantity });
    station.pack(item(1, "teapot", 2));
    const first = station.pack(item(0, "mug-white", 3));
    expect(station.pack(item(0, "mug-white", 3))).toBe(first);
    expect(station.boxesOf("shp-o-1").map((box) => [box.boxId, box.weightGrams, box.volumeMl])).toEqual([
      ["shp-o-1-1", 1_200, 4_500],
      ["shp-o-1-2", 2_200, 10_000],
    ]);
  });
});

describe("shipping tasks", () => {
  it("PlanShipment assigns the shipment id, carrier, booking and cost, keeping the order", async () => {
    const planned = await planShipment(order("o-plan", [{ sku: "tea-earl-grey", quantity: 2 }, { sku: "mug-white", quantity: 1 }]));
    expect(planned).toEqual({
      ...order("o-plan", [{ sku: "tea-earl-grey", quantity: 2 }, { sku: "mug-white", quantity: 1 }]),
      shipmentId: "shp-o-plan",
      carrier: "parcel-post",
      bookingId: "bk-parcel-post-shp-o-plan",
      lineCount: 2,
      weightGrams: 900,
      volumeMl: 2_500,
      costCents: 510,
      rebooked: false,
    });
    expect(desk.statusOf("bk-parcel-post-shp-o-plan")).toBe("booked");
  });

  it("PackLine returns its item with the box, keeping every other field (the Map index among them)", async () => {
    const item = { orderId: "o-pack", shipmentId: "shp-o-pack", line: 2, sku: "teapot", quantity: 1, mapIndex: 2 };
    expect(await packLine(item)).toEqual({ ...item, boxId: "shp-o-pack-3", weightGrams: 1_100, volumeMl: 5_000 });
  });

  it("DispatchShipment adds the tracking number, or fails with ParcelRejected for an oversize parcel", async () => {
    const small = await planShipment(order("o-small", [{ sku: "tea-sencha", quantity: 1 }]));
    expect(await dispatchShipment(small)).toEqual({ ...small, trackingNumber: "PP-shp-o-small" });
    await expect(dispatchShipment(await planShipment(oversize("o-big")))).rejects.toMatchObject({ name: "ParcelRejected" });
  });

  it("RebookCarrier cancels the refused booking and books freight at freight's price", async () => {
    const planned: PlannedShipment = await planShipment(oversize("o-rebook"));
    const rebooked = await rebookCarrier({ ...planned, error: { Error: "ParcelRejected", Cause: "too big" } });
    expect(rebooked).toEqual({ ...planned, carrier: "freight-line", bookingId: "bk-freight-line-shp-o-rebook", costCents: 2_780, rebooked: true });
    expect(rebooked).not.toHaveProperty("error");
    expect(desk.statusOf("bk-parcel-post-shp-o-rebook")).toBe("cancelled");
  });
});

describe("the shipping workflow", () => {
  it("plans, packs each line inside the Map (one LinePacked per line, with its index) and dispatches", async () => {
    // Prepare
    const input = order("o-wf", [{ sku: "tea-earl-grey", quantity: 4 }, { sku: "teapot", quantity: 1 }, { sku: "mug-white", quantity: 2 }]);

    // Act
    const run = await runWorkflow(shipping, input);

    // Assess
    expect(run.status).toBe("SUCCEEDED");
    expect(run.published.map((p) => [p.state, p.type, p.key, p.mapIndex]).sort(byState)).toEqual([
      ["Scheduled", "shipping.ShipmentScheduled", "shp-o-wf", undefined],
      ...[0, 1, 2].map((i) => ["Packed", "shipping.LinePacked", "shp-o-wf", i]),
      ["Dispatched", "shipping.ShipmentDispatched", "shp-o-wf", undefined],
    ]);
    expect(run.published.find((p) => p.state === "Scheduled")!.data).toEqual({
      shipmentId: "shp-o-wf",
      orderId: "o-wf",
      customerId: "c-1",
      carrier: "parcel-post",
      lineCount: 3,
      weightGrams: 2_900,
      costCents: 630,
    });
    const packed = run.published.filter((p) => p.type === "shipping.LinePacked").map((p) => p.data as { line: number; sku: string; boxId: string });
    expect(packed.map(({ line, sku, boxId }) => [line, sku, boxId]).sort()).toEqual([
      [0, "tea-earl-grey", "shp-o-wf-1"],
      [1, "teapot", "shp-o-wf-2"],
      [2, "mug-white", "shp-o-wf-3"],
    ]);
    // Each milestone's index is its line's: the index part of the event id matches the item.
    for (const p of run.published.filter((p) => p.type === "shipping.LinePacked")) expect(p.mapIndex).toBe((p.data as { line: number }).line);
    expect(run.published.at(-1)!.data).toEqual({
      shipmentId: "shp-o-wf",
      orderId: "o-wf",
      customerId: "c-1",
      carrier: "parcel-post",
      trackingNumber: "PP-shp-o-wf",
      rebooked: false,
      weightGrams: 2_900,
      volumeMl: 10_000,
      costCents: 630,
      totalCents: 12_345,
      currency: "EUR",
    });
    // The Map keeps the state (ResultPath null): what follows sees the order, not the boxes.
    expect(run.output).toMatchObject({ ...input, trackingNumber: "PP-shp-o-wf" });
  });

  it("sends an oversize parcel by freight when the courier refuses it at pickup", async () => {
    const run = await runWorkflow(shipping, oversize("o-wf-big"));

    expect(run.status).toBe("SUCCEEDED");
    expect(run.tasks).toEqual(["PlanShipment", "PackLine", "DispatchShipment", "RebookCarrier", "DispatchShipment"]);
    expect(run.published.at(-1)).toMatchObject({
      state: "Dispatched",
      data: { carrier: "freight-line", trackingNumber: "FL-shp-o-wf-big", rebooked: true, costCents: 2_780, volumeMl: 36_000 },
    });
    expect(run.output).not.toHaveProperty("error");
    expect(desk.statusOf("bk-parcel-post-shp-o-wf-big")).toBe("cancelled");
    expect(desk.statusOf("bk-freight-line-shp-o-wf-big")).toBe("dispatched");
  });

  it("fails without publishing when a product cannot be shipped", async () => {
    const run = await runWorkflow(shipping, order("o-wf-anvil", [{ sku: "anvil", quantity: 1 }]));
    expect(run).toMatchObject({ status: "FAILED", error: "UnknownProduct", published: [] });
  });

  it("is idempotent per order: running it again ships the same shipment with the same tracking number", async () => {
    const first = await runWorkflow(shipping, order("o-wf-twice", [{ sku: "tea-sencha", quantity: 1 }]));
    const again = await runWorkflow(shipping, order("o-wf-twice", [{ sku: "tea-sencha", quantity: 1 }]), { executionId: "arn:aws:states:local:000000000000:execution:test:run-2" });
    expect(again.published.map((p) => p.data)).toEqual(first.published.map((p) => p.data));
  });
});

/** Milestones inside the Map may be published in any order; sort them by state, then index. */
function byState(a: unknown[], b: unknown[]): number {
  const order = ["Scheduled", "Packed", "Dispatched"];
  return order.indexOf(a[0] as string) - order.indexOf(b[0] as string) || (a[3] as number) - (b[3] as number);
}

describe("the shipping workflow's recall path (compensation for an order billing could not invoice)", () => {
  it("expects a dispatched parcel back (a return), once, with ShipmentRecalled", async () => {
    const shipped = await runWorkflow(shipping, order("o-recall-return", [{ sku: "teapot", quantity: 1 }]));
    expect(shipped.status).toBe("SUCCEEDED");

    const recall = { orderId: "o-recall-return", recall: { reason: "billing: UnsupportedCurrency" } };
    const first = await runWorkflow(shipping, recall);
    const again = await runWorkflow(shipping, recall, { executionId: "arn:aws:states:local:000000000000:execution:test:run-2" });

    expect(first.tasks).toEqual(["RecallShipment"]);
    expect(first.published).toEqual([
      { type: "shipping.ShipmentRecalled", key: "shp-o-recall-return", state: "Recalled", mapIndex: undefined, data: { shipmentId: "shp-o-recall-return", orderId: "o-recall-return", action: "return", reason: "billing: UnsupportedCurrency" } },
    ]);
    expect(again.published.map((p) => p.data)).toEqual(first.published.map((p) => p.data));
  });

  it("cancels a shipment recalled before dispatch: its dispatch stops, its booking is cancelled and no ShipmentDispatched is published", async () => {
    const recalled = await runWorkflow(shipping, { orderId: "o-recall-cancel", recall: { reason: "billing: NotDispatched" } });
    expect(recalled.published.map((p) => (p.data as { action: string }).action)).toEqual(["cancel"]);

    const run = await runWorkflow(shipping, order("o-recall-cancel", [{ sku: "teapot", quantity: 1 }]));

    expect(run.status).toBe("SUCCEEDED");
    expect(run.tasks).toEqual(["PlanShipment", "PackLine", "DispatchShipment"]);
    expect(run.published.map((p) => p.type)).toEqual(["shipping.ShipmentScheduled", "shipping.LinePacked"]);
    expect(desk.statusOf("bk-parcel-post-shp-o-recall-cancel")).toBe("cancelled");
  });
});
