import { orders } from "../../../contexts";
import { RecordingWorkflowStarter, executionName, useWorkflowStarter } from "../../../platform/runtime";
import { delivery, examples, idOf } from "./deliveries";

// The handlers pick their starter when loaded, as the local runtime's do: register, then import.
const starter = new RecordingWorkflowStarter();
let startShipping: typeof import("../../../consumers/start-shipping/handler");
let startBilling: typeof import("../../../consumers/start-billing/handler");
let restore: () => void;

beforeAll(() => {
  restore = useWorkflowStarter(starter);
  // require, not a static import: the modules must load after the starter is registered.
  startShipping = require("../../../consumers/start-shipping/handler");
  startBilling = require("../../../consumers/start-billing/handler");
});
afterAll(() => restore());

describe("start-shipping", () => {
  it("maps a placed order to the shipping workflow's input", () => {
    expect(startShipping.shipmentRequestFor({ type: "orders.OrderPlaced", data: examples.placed })).toEqual(examples.placed);
  });

  it("starts one shipping execution per OrderPlaced event, named after the event id", async () => {
    const placed = { event: orders.events.OrderPlaced, key: "o-1", data: examples.placed, state: "Placed" };

    expect((await startShipping.handler(delivery([placed]))).batchItemFailures).toEqual([]);
    expect((await startShipping.handler(delivery([placed]))).batchItemFailures).toEqual([]);

    const started = starter.started.filter((r) => r.stateMachine === "shipping");
    expect(started).toEqual([{ stateMachine: "shipping", name: executionName("start-shipping", idOf(placed)), input: examples.placed, eventId: idOf(placed), eventType: "orders.OrderPlaced", group: "start-shipping" }]);
  });
});

describe("start-billing", () => {
  it("maps a placed order to the billing workflow's input: the order and what was paid", () => {
    expect(startBilling.invoiceRequestFor({ type: "orders.OrderPlaced", data: examples.placed })).toEqual({
      orderId: examples.placed.orderId,
      customerId: examples.placed.customerId,
      totalCents: examples.placed.totalCents,
      currency: examples.placed.currency,
    });
  });

  it("starts one billing execution per OrderPlaced event", async () => {
    const placed = { event: orders.events.OrderPlaced, key: "o-2", data: { ...examples.placed, orderId: "o-2" }, state: "Placed" };

    await startBilling.handler(delivery([placed]));
    await startBilling.handler(delivery([placed]));

    expect(starter.started.filter((r) => r.stateMachine === "billing").map((r) => [r.name, r.input])).toEqual([
      [executionName("start-billing", idOf(placed)), startBilling.invoiceRequestFor({ type: "orders.OrderPlaced", data: placed.data })],
    ]);
  });
});
