import { demoScenario } from "../../../contexts/orders/demo";
import { type Outcome, type Snapshot, settled, verdict } from "../../../platform/local/demo";

/** Five orders: four placed, one declined. */
const scenario = demoScenario(5, "v");
const [placed, , , , declined] = scenario.executions;

const group = (name: string, delivered: number, expected = delivered, deadLettered = 0) => ({ name, expected, delivered, failed: 0, filtered: 0, deadLettered, lag: 0, running: true });

/** A run that went exactly as the scenario says. */
function clean(): { executions: Outcome["executions"][number][]; snapshot: Snapshot } {
  return {
    executions: [
      ...scenario.executions.map((e) => ({ context: "orders", name: e.name, status: e.expect, error: e.expect === "FAILED" ? { name: "OrderRejected", message: "" } : undefined })),
      ...Array.from({ length: 4 }, (_, i) => ({ context: "shipping", name: `ship-${i}`, status: "SUCCEEDED" as const, error: undefined })),
      ...Array.from({ length: 4 }, (_, i) => ({ context: "billing", name: `bill-${i}`, status: "SUCCEEDED" as const, error: undefined })),
    ],
    snapshot: {
      elapsedMs: 1000,
      started: 5,
      planned: 5,
      contexts: [],
      milestones: { ...scenario.milestones },
      groups: [group("start-shipping", 4), group("analytics", 20)],
    },
  };
}

describe("the demo's verdict", () => {
  it("expects, per outcome, the milestones the workflows publish", () => {
    expect(scenario.executions.map((e) => e.outcome)).toEqual(["placed", "placed", "placed", "placed", "payment-declined"]);
    const lines = scenario.executions.filter((e) => e.outcome === "placed").reduce((sum, e) => sum + e.input.lines.length, 0);
    expect(scenario.milestones).toEqual({
      "orders.OrderPlaced": 4,
      "orders.OrderRejected": 1,
      "shipping.ShipmentScheduled": 4,
      "shipping.LinePacked": lines,
      "shipping.ShipmentDispatched": 4,
      "billing.InvoiceIssued": 4,
    });
    expect(placed!.expect).toBe("SUCCEEDED");
    expect(declined!.expect).toBe("FAILED");
  });

  it("plays 200 orders to known end states: 150 invoiced, 10 compensated (refunded and recalled), 40 rejected", () => {
    const big = demoScenario(200);
    const count = (state: string) => big.executions.filter((e) => e.endState === state).length;
    expect([count("invoiced"), count("compensated"), count("rejected")]).toEqual([150, 10, 40]);
    expect(big.startedFailures).toEqual({ billing: 10 });
    expect(big.milestones).toMatchObject({ "billing.InvoiceIssued": 150, "billing.InvoiceFailed": 10, "orders.OrderRefunded": 10, "shipping.ShipmentRecalled": 10, "shipping.ShipmentDispatched": 160 });
    expect(big.executions.find((e) => e.endState === "compensated")!.events).toMatchObject({ "billing.InvoiceFailed": 1, "orders.OrderRefunded": 1, "shipping.ShipmentRecalled": 1 });
  });

  it("finds nothing wrong with a run that went as expected", () => {
    expect(verdict(scenario, clean())).toEqual([]);
  });

  it("reports a scenario execution that ended otherwise, or never started", () => {
    const run = clean();
    run.executions[0] = { ...run.executions[0]!, status: "FAILED", error: { name: "States.Timeout", message: "" } };
    run.executions.splice(4, 1);
    expect(verdict(scenario, run)).toEqual([
      `orders execution ${placed!.name} ended FAILED (States.Timeout), expected SUCCEEDED`,
      `orders execution ${declined!.name} was never started`,
    ]);
  });

  it("reports an execution a consumer group started that did not succeed, and a count of expected failures that differs", () => {
    const run = clean();
    run.executions.push({ context: "shipping", name: "ship-x", status: "FAILED", error: { name: "ParcelRejected", message: "" } });
    run.executions.push({ context: "billing", name: "bill-x", status: "FAILED", error: { name: "UnsupportedCurrency", message: "" } });
    // Billing's failures are expected (one per compensated order), so counted: none of these five is compensated.
    expect(scenario.startedFailures).toEqual({ billing: 0 });
    expect(verdict(scenario, run)).toEqual([
      "shipping execution ship-x (started by a consumer group) ended FAILED (ParcelRejected), expected SUCCEEDED",
      "billing: 1 executions started by consumer groups did not succeed, expected 0",
    ]);
  });

  it("reports a business key whose events differ from its end state's, by type and count", () => {
    const run = clean();
    const published = scenario.executions.flatMap((e) =>
      Object.entries(e.events).flatMap(([type, count]) => Array.from({ length: count }, (_, i) => ({ eventId: `${e.input.orderId}-${type}-${i}`, type, data: { orderId: e.input.orderId } }))),
    );
    expect(verdict(scenario, { ...run, published })).toEqual([]);
    const orderId = placed!.input.orderId;
    const broken = published.filter((p) => !(p.type === "billing.InvoiceIssued" && p.data.orderId === orderId));
    broken.push({ eventId: "refund-1", type: "orders.OrderRefunded", data: { orderId } });
    expect(verdict(scenario, { ...run, published: broken })).toEqual([`${orderId} (invoiced): billing.InvoiceIssued 0 (expected 1), orders.OrderRefunded 1 (expected 0)`]);
  });

  it("reports each invariant violation with its key and the events seen", () => {
    const violation = { invariant: "order-settles-once", key: "v-00000", kind: "missing" as const, message: "no billing.InvoiceIssued or orders.OrderRefunded came before the flow settled after orders.OrderPlaced.", events: [{ id: "p", type: "orders.OrderPlaced", time: "2026-12-07T10:00:00.000Z" }] };
    expect(verdict(scenario, { ...clean(), violations: [violation] })).toEqual([
      "invariant order-settles-once violated for v-00000 (missing): no billing.InvoiceIssued or orders.OrderRefunded came before the flow settled after orders.OrderPlaced. Events seen: orders.OrderPlaced.",
    ]);
  });

  it("reports a milestone published fewer or more times than expected, and one not expected at all", () => {
    const run = clean();
    run.snapshot = { ...run.snapshot, milestones: { ...scenario.milestones, "billing.InvoiceIssued": 3, "shipping.LinePacked": scenario.milestones["shipping.LinePacked"]! + 1, "orders.Surprise": 1 } };
    expect(verdict(scenario, run)).toEqual([
      "billing.InvoiceIssued: 3 published, expected 4",
      "orders.Surprise: 1 published, expected 0",
      `shipping.LinePacked: ${scenario.milestones["shipping.LinePacked"]! + 1} published, expected ${scenario.milestones["shipping.LinePacked"]}`,
    ]);
  });

  it("reports a group that missed events, dead-lettered records or whose dead letters could not be counted", () => {
    const run = clean();
    run.snapshot = { ...run.snapshot, groups: [group("start-shipping", 3, 4), group("analytics", 19, 20, 1), group("audit-archive", 20, 20, -1)] };
    expect(verdict(scenario, run)).toEqual([
      "start-shipping received 3 of 4 events",
      "analytics received 19 of 20 events",
      "analytics dead-lettered 1 records",
      "audit-archive: its dead-letter topic could not be read",
    ]);
  });

  it("caps a flood of failed executions and says the run timed out", () => {
    const run = clean();
    for (let i = 0; i < 15; i++) run.executions.push({ context: "shipping", name: `broken-${i}`, status: "ABORTED", error: undefined });
    const problems = verdict(scenario, { ...run, timedOutAfterMs: 5000 });
    expect(problems[0]).toBe("timed out after 5000 ms");
    expect(problems).toHaveLength(1 + 10 + 1);
    expect(problems.at(-1)).toBe("... and 5 more like these");
  });

  it("stops waiting once nothing runs and every group delivered or dead-lettered what was published for it", () => {
    const { snapshot } = clean();
    const running = { ...snapshot, contexts: [{ name: "shipping", running: 1, succeeded: 3, failed: 0, byState: {} }] };
    expect(settled(snapshot)).toBe(true);
    expect(settled(running)).toBe(false);
    expect(settled({ ...snapshot, groups: [group("analytics", 19, 20)] })).toBe(false);
    expect(settled({ ...snapshot, groups: [group("analytics", 19, 20, 1)] })).toBe(true);
    expect(settled({ ...snapshot, groups: [group("analytics", 19, 20, -1)] })).toBe(false);
  });
});
