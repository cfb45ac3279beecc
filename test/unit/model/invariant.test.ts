import * as z from "zod";
import {
  defineContext,
  defineEvent,
  defineInvariant,
  evaluate,
  findIssues,
  formatIssue,
  type SeenEvent,
  type Topology,
  validate,
  ViolationKind,
} from "../../../platform/model";
import { dueAt } from "../../../platform/model/invariant";

const orderData = z.object({ orderId: z.string(), note: z.string().optional(), count: z.number() });
const sales = defineContext({
  name: "sales",
  events: [
    defineEvent({ name: "Placed", schema: orderData }),
    defineEvent({ name: "Refunded", schema: orderData }),
    defineEvent({ name: "Audited", schema: z.object({ ref: z.string() }) }),
  ],
});
const billing = defineContext({ name: "bill", events: [defineEvent({ name: "Invoiced", schema: orderData })] });
const { Placed, Refunded, Audited } = sales.events;
const { Invoiced } = billing.events;

const settles = defineInvariant({ name: "settles-once", key: "$.orderId", after: Placed, exactlyOne: [Invoiced, Refunded], within: { minutes: 15 } });
const noInvoiceAfterRefund = defineInvariant({ name: "no-invoice-after-refund", key: "$.orderId", after: Refunded, never: [Invoiced] });

const T0 = Date.parse("2026-12-07T10:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const seen = (id: string, type: string, minutes: number): SeenEvent => ({ id, type, time: at(minutes) });
const problems = (t: Topology) => findIssues(t, { checkFiles: false }).map(formatIssue);
const topology = (invariants: Topology["invariants"]): Topology => ({ contexts: [sales, billing], consumers: [], invariants });

describe("evaluate: exactly one of a set within a bound", () => {
  it("holds when one expected event comes within the bound, whatever the arrival order", () => {
    const events = [seen("i1", "bill.Invoiced", 10), seen("p1", "sales.Placed", 0)];
    expect(evaluate(settles, "o-1", events, T0 + 60 * 60_000)).toEqual([]);
    expect(evaluate(settles, "o-1", [...events].reverse(), T0 + 60 * 60_000, true)).toEqual([]);
  });

  it("is pending before the bound, then missing after it, or missing at once when the flow has settled", () => {
    const events = [seen("p1", "sales.Placed", 0)];
    expect(evaluate(settles, "o-1", events, T0 + 14 * 60_000)).toEqual([]);
    const late = evaluate(settles, "o-1", events, T0 + 15 * 60_000);
    expect(late).toEqual([{ invariant: "settles-once", key: "o-1", kind: ViolationKind.Missing, message: "no bill.Invoiced or sales.Refunded came within 900 s after sales.Placed.", events }]);
    expect(evaluate(settles, "o-1", events, T0, true).map((v) => [v.kind, v.message])).toEqual([
      [ViolationKind.Missing, "no bill.Invoiced or sales.Refunded came before the flow settled after sales.Placed."],
    ]);
  });

  it("reports both when two come (never both), and a late one", () => {
    const both = evaluate(settles, "o-1", [seen("p1", "sales.Placed", 0), seen("i1", "bill.Invoiced", 1), seen("r1", "sales.Refunded", 2)], T0);
    expect(both.map((v) => [v.kind, v.message])).toEqual([[ViolationKind.MoreThanOne, "bill.Invoiced and sales.Refunded both came after sales.Placed; exactly one of bill.Invoiced or sales.Refunded may."]]);
    const late = evaluate(settles, "o-1", [seen("p1", "sales.Placed", 0), seen("i1", "bill.Invoiced", 20)], T0 + 30 * 60_000);
    expect(late.map((v) => [v.kind, v.message])).toEqual([[ViolationKind.Late, "bill.Invoiced came 1200 s after sales.Placed, later than 900 s."]]);
  });

  it("counts an event once per id: a redelivered or replayed event is not a second one", () => {
    const events = [seen("p1", "sales.Placed", 0), seen("i1", "bill.Invoiced", 1), seen("i1", "bill.Invoiced", 1), seen("p1", "sales.Placed", 0)];
    expect(evaluate(settles, "o-1", events, T0 + 60 * 60_000, true)).toEqual([]);
  });

  it("checks nothing for a key without the opening event", () => {
    expect(evaluate(settles, "o-1", [seen("i1", "bill.Invoiced", 1)], T0 + 60 * 60_000, true)).toEqual([]);
  });

  it("is due at the bound while nothing expected has come, and not due after", () => {
    expect(dueAt(settles, [seen("p1", "sales.Placed", 0)])).toBe(T0 + 15 * 60_000);
    expect(dueAt(settles, [seen("p1", "sales.Placed", 0), seen("r1", "sales.Refunded", 3)])).toBeUndefined();
    expect(dueAt(noInvoiceAfterRefund, [seen("r1", "sales.Refunded", 0)])).toBeUndefined();
  });
});

describe("evaluate: never after", () => {
  it("reports a forbidden event after the opening one, and not one before it", () => {
    const after = evaluate(noInvoiceAfterRefund, "o-1", [seen("r1", "sales.Refunded", 0), seen("i1", "bill.Invoiced", 5)], T0);
    expect(after.map((v) => [v.kind, v.message, v.events.map((e) => e.id)])).toEqual([[ViolationKind.Forbidden, "bill.Invoiced came after sales.Refunded; it never may.", ["r1", "i1"]]]);
    expect(evaluate(noInvoiceAfterRefund, "o-1", [seen("i1", "bill.Invoiced", 0), seen("r1", "sales.Refunded", 5)], T0)).toEqual([]);
  });
});

describe("validate: invariants", () => {
  it("accepts invariants over published events whose keys resolve, and adds the invariants group reading exactly their events", () => {
    const valid = validate(topology([settles, noInvoiceAfterRefund]), { checkFiles: false });
    const group = valid.consumers.find((c) => c.name === "invariants")!;
    expect(group.checks).toEqual([settles, noInvoiceAfterRefund]);
    expect(group.on.map((e) => e.type)).toEqual(["sales.Placed", "bill.Invoiced", "sales.Refunded"]);
    expect(valid.topics.filter((t) => t.owner === "invariants").map((t) => [t.name, t.purpose])).toEqual([
      ["invariants.dlq", "dead-letter"],
      ["invariants.violations", "violations"],
    ]);
  });

  it("names an unknown event, a key that does not resolve, a bad bound and a contradiction, each with its fix", () => {
    const stranger = defineContext({ name: "elsewhere", events: [defineEvent({ name: "Shipped", schema: orderData })] }).events.Shipped;
    const issues = problems(
      topology([
        defineInvariant({ name: "unknown-event", key: "$.orderId", after: Placed, never: [stranger] }),
        defineInvariant({ name: "bad-key", key: "$.orderId", after: Placed, never: [Audited] }),
        defineInvariant({ name: "optional-key", key: "$.note", after: Placed, never: [Refunded] }),
        defineInvariant({ name: "no-bound", key: "$.orderId", after: Placed, exactlyOne: [Invoiced], within: {} }),
        defineInvariant({ name: "follows-itself", key: "$.orderId", after: Placed, exactlyOne: [Placed, Invoiced], within: { minutes: 1 } }),
        defineInvariant({ name: "requires-invoice", key: "$.orderId", after: Refunded, exactlyOne: [Invoiced], within: { hours: 1 } }),
        noInvoiceAfterRefund,
      ]),
    ).filter((issue) => issue.includes(": invariant \""));
    expect(issues).toEqual([
      expect.stringMatching(/invariant "unknown-event": reads "elsewhere.Shipped", which no context in the topology publishes\. Fix: declare the event/),
      expect.stringMatching(/invariant "bad-key": its key "\$\.orderId" names "orderId", which Audited's data does not have\. Fix: give every event the invariant reads a required string field/),
      expect.stringMatching(/invariant "optional-key": its key "\$\.note" names "note", which Placed's data may leave out\./),
      expect.stringMatching(/invariant "optional-key": its key "\$\.note" names "note", which Refunded's data may leave out\./),
      expect.stringMatching(/invariant "no-bound": has a bound of 0 s\. Fix: give within a whole number of seconds from 1 to 604800/),
      expect.stringMatching(/invariant "follows-itself": lists sales\.Placed in exactlyOne as well as in after\./),
      expect.stringMatching(/invariant "requires-invoice": contradicts invariant "no-invoice-after-refund": it requires one of bill\.Invoiced after sales\.Refunded, which "no-invoice-after-refund" forbids\. Fix: drop the forbidden events/),
    ]);
  });

  it("finds a contradiction that only several never invariants make together", () => {
    const noInvoice = defineInvariant({ name: "no-invoice", key: "$.orderId", after: Placed, never: [Invoiced] });
    const noRefund = defineInvariant({ name: "no-refund", key: "$.orderId", after: Placed, never: [Refunded] });
    expect(problems(topology([settles, noInvoice]))).toEqual([]);
    expect(problems(topology([settles, noInvoice, noRefund]))).toEqual([
      expect.stringMatching(/invariant "settles-once": contradicts invariants "no-invoice" and "no-refund": it requires one of bill\.Invoiced, sales\.Refunded after sales\.Placed, which "no-invoice" and "no-refund" forbid together\./),
    ]);
  });

  it("refuses a consumer group named like the platform's invariants group", () => {
    const impostor = { ...validate(topology([settles]), { checkFiles: false }).consumers.find((c) => c.name === "invariants")!, checks: undefined, handler: "./handler.ts" };
    expect(problems({ ...topology([settles]), consumers: [impostor] })).toContainEqual(expect.stringMatching(/consumer "invariants": takes the name of the platform's invariants group\. Fix: rename the consumer group/));
  });
});
