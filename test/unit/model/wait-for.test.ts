import * as z from "zod";
import {
  bindWorkflow,
  correlatorOf,
  defineContext,
  defineEvent,
  defineTopology,
  defineWorkflow,
  findIssues,
  formatIssue,
  milestone,
  succeed,
  task,
  type Topology,
  validate,
  WAIT_TIMED_OUT,
  waitFor,
} from "../../../platform/model";
import { billing, shipping } from "../../../contexts";
import { topology } from "../../../topology";

const Dispatched = defineEvent({
  name: "Dispatched",
  schema: z.object({ orderId: z.string(), order: z.object({ ref: z.string() }), note: z.string().optional(), lines: z.array(z.string()) }),
});
const Invoiced = defineEvent({ name: "Invoiced", schema: z.object({ orderId: z.string() }) });
const aTask = async () => ({ handler: async (state: unknown) => state });
const shippingCtx = defineContext({ name: "ship", events: [Dispatched] });

function billingWith(wait: ReturnType<typeof waitFor>, events = [Invoiced]) {
  return defineContext({
    name: "bill",
    events,
    tasks: { Issue: aTask },
    workflow: defineWorkflow({
      StartAt: "Await",
      States: { Await: wait, Issue: task("Issue", { next: "Issued" }), Issued: milestone(Invoiced, { key: "$.orderId", next: "Done" }), Done: succeed() },
    }),
  });
}

const problems = (t: Topology) => findIssues(t, { checkFiles: false }).map(formatIssue);
/** The issues about wait states and correlators (a bad wait can bring others, e.g. on the correlator's subscription). */
const waitProblems = (t: Topology) => problems(t).filter((p) => p.includes("wait state") || p.includes("correlator"));

describe("waitFor", () => {
  it("is a .waitForTaskToken task on the correlator placeholder, timed out by TimeoutSeconds, with the event's data at its ResultPath", () => {
    const state = waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 3600, next: "Issue", catch: { errors: [WAIT_TIMED_OUT], to: "Late" } });
    expect(state).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: {
        FunctionName: "ensemble:wait",
        Payload: { type: "ship.Dispatched", eventKey: "$.orderId", "key.$": "$.orderId", timeoutSeconds: 3600, "taskToken.$": "$$.Task.Token", "executionId.$": "$$.Execution.Id" },
      },
      TimeoutSeconds: 3600,
      ResultPath: "$.dispatched",
      Catch: [{ ErrorEquals: ["States.Timeout"], Next: "Late", ResultPath: "$.error" }],
      Next: "Issue",
    });
  });

  it("takes an event definition with the context that publishes it, and refuses one without", () => {
    const state = waitFor(Dispatched, { from: "ship", key: { event: "$.order.ref", state: "$.ref" }, timeoutSeconds: 60, resultPath: "$.d", end: true });
    expect(state).toMatchObject({ Parameters: { Payload: { type: "ship.Dispatched", eventKey: "$.order.ref", "key.$": "$.ref" } }, ResultPath: "$.d", End: true });
    expect(() => waitFor(Dispatched, { key: "$.orderId", timeoutSeconds: 60, end: true })).toThrow(
      'waitFor(Dispatched): say which context publishes it, with { from: "<context>" }, or pass <context>.events.Dispatched.',
    );
  });

  it("is recorded by defineWorkflow with its own state name, and bound to the correlator's function", () => {
    const context = billingWith(waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 3600, next: "Issue" }));
    expect(context.workflow!.waits).toEqual([
      { state: "Await", eventType: "ship.Dispatched", event: shippingCtx.events.Dispatched, eventKey: "$.orderId", stateKey: "$.orderId", timeoutSeconds: 3600, resultPath: "$.dispatched" },
    ]);
    const asl = bindWorkflow(context.workflow!, { task: (t) => `arn:task:${t}`, milestone: "arn:publisher", wait: "arn:correlator" });
    expect(asl.States.Await).toMatchObject({ Parameters: { FunctionName: "arn:correlator", Payload: { state: "Await" } } });
    expect(() => bindWorkflow(context.workflow!, { task: (t) => t, milestone: "p" })).toThrow(/no `wait` binding/);
  });
});

describe("the correlator group", () => {
  it("is made for a context that waits: subscribed to the awaited events, bound to the context, added by defineTopology", () => {
    const context = billingWith(waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 3600, next: "Issue" }));
    const correlator = correlatorOf(context)!;
    expect(correlator).toMatchObject({ name: "bill-correlator", correlates: context, batch: { size: 10 } });
    expect(correlator.on.map((e) => e.type)).toEqual(["ship.Dispatched"]);
    expect(correlatorOf(context)).toBe(correlator);
    expect(correlatorOf(shippingCtx)).toBeUndefined();
    expect(defineTopology({ contexts: [shippingCtx, context], consumers: [] }).consumers).toEqual([correlator]);
    expect(problems(defineTopology({ contexts: [shippingCtx, context], consumers: [] }))).toEqual([]);
  });

  it("is part of the example topology: billing waits for shipping's ShipmentDispatched", () => {
    expect(billing.workflow!.waits.map((w) => [w.state, w.eventType, w.eventKey, w.stateKey])).toEqual([["AwaitDispatch", "shipping.ShipmentDispatched", "$.orderId", "$.orderId"]]);
    const correlator = topology.consumers.find((c) => c.name === "billing-correlator")!;
    expect(correlator.correlates).toBe(billing);
    expect(correlator.on.map((e) => e.type)).toEqual([shipping.events.ShipmentDispatched.type]);
    expect(correlator.on[0]!.schema).toBe(shipping.events.ShipmentDispatched.schema);
  });
});

describe("validate() on waits", () => {
  const waiting = (wait: ReturnType<typeof waitFor>) => {
    const context = billingWith(wait);
    return defineTopology({ contexts: [shippingCtx, context], consumers: [] });
  };

  it.each([
    [
      "an event no context publishes",
      waitFor(defineEvent({ name: "Lost", schema: z.object({ orderId: z.string() }) }), { from: "ship", key: "$.orderId", timeoutSeconds: 60, next: "Issue" }),
      'wait state "bill.Await": awaits "ship.Lost", which no context in the topology publishes.',
    ],
    [
      "a key path that is not simple",
      waitFor(shippingCtx.events.Dispatched, { key: { event: "$.lines[0]", state: "$['orderId']" }, timeoutSeconds: 60, next: "Issue" }),
      `wait state "bill.Await": its event key "$.lines[0]" is not a simple JSONPath.`,
    ],
    [
      "an event key the event does not have",
      waitFor(shippingCtx.events.Dispatched, { key: "$.orderRef", timeoutSeconds: 60, next: "Issue" }),
      `wait state "bill.Await": its event key "$.orderRef" names "orderRef", which Dispatched's data does not have.`,
    ],
    [
      "an optional event key",
      waitFor(shippingCtx.events.Dispatched, { key: "$.note", timeoutSeconds: 60, next: "Issue" }),
      `wait state "bill.Await": its event key "$.note" names "note", which Dispatched's data may leave out.`,
    ],
    [
      "an event key that is not a scalar",
      waitFor(shippingCtx.events.Dispatched, { key: "$.lines", timeoutSeconds: 60, next: "Issue" }),
      `wait state "bill.Await": its event key "$.lines" leads to a array, not a string or number.`,
    ],
    ["a timeout out of range", waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 0, next: "Issue" }), `wait state "bill.Await": has timeoutSeconds 0.`],
  ])("rejects %s, naming the fix", (_, wait, expected) => {
    const found = waitProblems(waiting(wait)).filter((p) => p.includes("wait state"));
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain("Fix:");
  });

  it("accepts a nested event key", () => {
    expect(problems(waiting(waitFor(shippingCtx.events.Dispatched, { key: { event: "$.order.ref", state: "$.ref" }, timeoutSeconds: 60, next: "Issue" })))).toEqual([]);
  });

  it("rejects a wait for the context's own event", () => {
    const own = defineContext({
      name: "bill",
      events: [Invoiced],
      workflow: defineWorkflow({ StartAt: "Await", States: { Await: waitFor(Invoiced, { from: "bill", key: "$.orderId", timeoutSeconds: 60, end: true }) } }),
    });
    expect(waitProblems(defineTopology({ contexts: [own], consumers: [] }))).toEqual([
      expect.stringContaining(`wait state "bill.Await": awaits "bill.Invoiced", an event of its own context. Fix: a wait coordinates with another context`),
    ]);
  });

  it("adds the correlator to a topology built by hand, and rejects a group that takes its name", () => {
    const context = billingWith(waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 60, next: "Issue" }));
    const valid = validate({ contexts: [shippingCtx, context], consumers: [] }, { checkFiles: false });
    expect(valid.consumers).toEqual([correlatorOf(context)]);
    const impostor = { ...correlatorOf(context)!, correlates: undefined, handler: "./handler.ts" };
    expect(waitProblems({ contexts: [shippingCtx, context], consumers: [impostor] })).toEqual([
      expect.stringContaining(`consumer "bill-correlator": is declared twice`),
      expect.stringContaining(`consumer "bill-correlator": takes the name of the correlator of context "bill". Fix: rename the consumer group`),
    ]);
  });

  it("rejects a wait written as plain ASL", () => {
    const plain = { ...waitFor(shippingCtx.events.Dispatched, { key: "$.orderId", timeoutSeconds: 60, next: "Issue" }) };
    expect(waitProblems(waiting(plain)).filter((p) => p.includes("wait state"))).toEqual([expect.stringContaining(`wait state "bill.Await": is written as plain ASL`)]);
  });
});
