import validateAsl from "asl-validator";
import { billing, contexts, orders, shipping } from "../../../contexts";
import { bindWorkflow, MILESTONE_CONTEXT_FIELDS, validate } from "../../../platform/model";
import { topology } from "../../../topology";
import { inExample } from "../../support/example";

type Json = Record<string, unknown>;

describe("the example topology", () => {
  const valid = validate(topology, { stack: "dev" });

  it("validates for a stack, and for the longest stack name allowed", () => {
    expect(() => validate(topology)).not.toThrow();
    expect(valid.contexts.map((c) => c.name).filter(inExample)).toEqual(["orders", "shipping", "billing"]);
  });

  it("declares these events, topics and subscribers", () => {
    const events = valid.events.filter((e) => inExample(e.context));
    expect(events.map((e) => e.type)).toEqual([
      "orders.OrderPlaced",
      "orders.OrderRejected",
      "orders.OrderRefunded",
      "shipping.ShipmentScheduled",
      "shipping.LinePacked",
      "shipping.ShipmentDispatched",
      "shipping.ShipmentRecalled",
      "billing.InvoiceIssued",
      "billing.InvoiceFailed",
    ]);
    expect(valid.topics.filter((t) => inExample(t.owner)).map((t) => [t.name, t.purpose])).toEqual([
      ["orders.events", "events"],
      ["shipping.events", "events"],
      ["billing.events", "events"],
      ["notify-customer.dlq", "dead-letter"],
      ["sales-ledger.dlq", "dead-letter"],
      ["start-shipping.dlq", "dead-letter"],
      ["start-billing.dlq", "dead-letter"],
      ["analytics.dlq", "dead-letter"],
      ["audit-archive.dlq", "dead-letter"],
      ["refund-order.dlq", "dead-letter"],
      ["recall-shipment.dlq", "dead-letter"],
      ["billing-correlator.dlq", "dead-letter"],
      ["invariants.dlq", "dead-letter"],
      ["invariants.violations", "violations"],
    ]);
    const subscribers = Object.fromEntries(events.map((e) => [e.type, valid.subscribersOf(e.type).map((c) => c.name).filter(inExample)]));
    expect(subscribers).toEqual({
      "orders.OrderPlaced": ["notify-customer", "sales-ledger", "start-shipping", "start-billing", "analytics", "audit-archive", "invariants"],
      "orders.OrderRejected": ["notify-customer", "analytics", "audit-archive"],
      "orders.OrderRefunded": ["analytics", "audit-archive", "invariants"],
      "shipping.ShipmentScheduled": ["analytics", "audit-archive"],
      "shipping.LinePacked": ["analytics", "audit-archive"],
      "shipping.ShipmentDispatched": ["notify-customer", "analytics", "audit-archive", "billing-correlator", "invariants"],
      "shipping.ShipmentRecalled": ["analytics", "audit-archive"],
      "billing.InvoiceIssued": ["notify-customer", "analytics", "audit-archive", "invariants"],
      "billing.InvoiceFailed": ["analytics", "audit-archive", "refund-order", "recall-shipment", "invariants"],
    });
  });

  it("gives each consumer group its own batching and scaling, and chains the workflows", () => {
    const settings = Object.fromEntries(
      valid.consumers.filter((c) => inExample(c.name)).map((c) => [c.name, { batch: c.batch, scaling: c.scaling, starts: c.startWorkflow?.name }]),
    );
    expect(settings).toEqual({
      "notify-customer": { batch: { size: 50, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 4 }, starts: undefined },
      "sales-ledger": { batch: { size: 500, windowSeconds: 5 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: undefined },
      "start-shipping": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 10 }, starts: "shipping" },
      "start-billing": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 5 }, starts: "billing" },
      analytics: { batch: { size: 500, windowSeconds: 2 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: undefined },
      "audit-archive": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 1 }, starts: undefined },
      "refund-order": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: "orders" },
      "recall-shipment": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: "shipping" },
      "billing-correlator": { batch: { size: 10, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: undefined },
      invariants: { batch: { size: 100, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 2 }, starts: undefined },
    });
  });

  it("lets every workflow publish each of its context's events from some milestone", () => {
    const example = contexts.filter((c) => inExample(c.name));
    expect(Object.fromEntries(example.map((c) => [c.name, c.workflow!.milestones.map((m) => [m.state, m.eventType, m.inMap])]))).toEqual({
      orders: [
        ["Refunded", "orders.OrderRefunded", false],
        ["Placed", "orders.OrderPlaced", false],
        ["Rejected", "orders.OrderRejected", false],
      ],
      shipping: [
        ["Recalled", "shipping.ShipmentRecalled", false],
        ["Scheduled", "shipping.ShipmentScheduled", false],
        ["Packed", "shipping.LinePacked", true],
        ["Dispatched", "shipping.ShipmentDispatched", false],
      ],
      // The failure milestone: one Announce state before each Fail state (see onFailure).
      billing: [
        ["Issued", "billing.InvoiceIssued", false],
        ["AnnounceNotInvoiced", "billing.InvoiceFailed", false],
        ["AnnounceNotDispatched", "billing.InvoiceFailed", false],
      ],
    });
    expect(shipping.workflow!.tasks).toEqual(["RecallShipment", "PlanShipment", "PackLine", "DispatchShipment", "RebookCarrier"]);
    expect(billing.workflow!.tasks).toEqual(["ComputeTax", "ReserveInvoiceNumber", "IssueInvoice", "VoidInvoiceNumber"]);
  });

  it("passes the Map item index to the milestones inside the shipping Map (their event ids include it)", () => {
    const packLines = shipping.workflow!.asl.States.PackLines as unknown as Json & { ItemSelector: Json; ItemProcessor: { States: Record<string, { Parameters: { Payload: Json } }> } };
    // Step Functions offers $$.Map.Item.Index only in the ItemSelector: Ensemble adds it there...
    expect(packLines.ItemSelector).toEqual({
      "orderId.$": "$.orderId",
      "shipmentId.$": "$.shipmentId",
      "line.$": "$$.Map.Item.Index",
      "sku.$": "$$.Map.Item.Value.sku",
      "quantity.$": "$$.Map.Item.Value.quantity",
      "mapIndex.$": "$$.Map.Item.Index",
    });
    // ...and the milestone inside reads it from the item's state, which PackLine keeps.
    expect(packLines.ItemProcessor.States.Packed!.Parameters.Payload).toEqual({
      type: "shipping.LinePacked",
      "key.$": "$.shipmentId",
      "data.$": "$",
      "executionId.$": "$$.Execution.Id",
      ...MILESTONE_CONTEXT_FIELDS,
      state: "Packed",
      "mapIndex.$": "$.mapIndex",
    });
    expect(packLines).toMatchObject({ ItemsPath: "$.lines", ResultPath: null });
    // Milestones outside the Map carry no index.
    expect((shipping.workflow!.asl.States.Dispatched as unknown as { Parameters: { Payload: Json } }).Parameters.Payload).not.toHaveProperty("mapIndex.$");
  });

  it.each([orders, shipping, billing])("binds the $name workflow into valid ASL", (context) => {
    const asl = bindWorkflow(context.workflow!, { task: (task) => `arn:aws:lambda:eu-west-1:123456789012:function:dev-${context.name}-${task}`, milestone: "arn:aws:lambda:eu-west-1:123456789012:function:dev-publisher", wait: "arn:aws:lambda:eu-west-1:123456789012:function:dev-correlator" });
    expect(validateAsl(asl).errors).toEqual([]);
  });
});
