import * as z from "zod";
import { LocalStateMachine } from "../../../platform/local/state-machine";
import {
  defineConsumer,
  defineContext,
  defineEvent,
  defineWorkflow,
  type EventDefinition,
  FAILURE_STATE,
  fail,
  findIssues,
  formatIssue,
  milestone,
  onFailure,
  succeed,
  task,
  type Topology,
} from "../../../platform/model";
import { EXECUTION_STATUS_CHANGE, failureMilestoneInput } from "../../../platform/runtime/failure-backstop";

const Charged = defineEvent({ name: "Charged", schema: z.object({ orderId: z.string() }) });
const ChargeFailed = defineEvent({ name: "ChargeFailed", schema: z.object({ orderId: z.string(), reason: z.string(), detail: z.string() }) });
const aTask = async () => ({ handler: async (state: unknown) => state });
const failure = onFailure(ChargeFailed, { key: "$.input.orderId", data: { orderId: "$.input.orderId", reason: "$.error", detail: "$.cause" } });

const payments = defineContext({
  name: "payments",
  events: [Charged, ChargeFailed],
  tasks: { Charge: aTask },
  workflow: defineWorkflow({
    StartAt: "Charge",
    States: {
      Charge: task("Charge", { next: "Charged", catch: { errors: ["Declined"], to: "Declined" } }),
      Charged: milestone(Charged, { key: "$.orderId", next: "Done" }),
      Done: succeed(),
      Declined: fail("Declined", "The card was declined."),
    },
  }),
  failure,
});
const problems = (t: Topology, about = "") => findIssues(t, { checkFiles: false }).map(formatIssue).filter((issue) => issue.includes(about));

describe("a context's failure milestone", () => {
  it("is published from an Announce state before each top-level Fail state, with the Fail state's error and cause, under the execution's one failure id", () => {
    const states = payments.workflow!.asl.States;
    expect((states.Charge!.Catch as { Next: string }[])[0]!.Next).toBe("AnnounceDeclined");
    expect(states.AnnounceDeclined).toMatchObject({
      Type: "Task",
      Parameters: {
        FunctionName: "ensemble:milestone",
        Payload: {
          type: "payments.ChargeFailed",
          "key.$": "$$.Execution.Input.orderId",
          data: { "orderId.$": "$$.Execution.Input.orderId", reason: "Declined", detail: "The card was declined." },
          "executionId.$": "$$.Execution.Id",
          state: FAILURE_STATE,
        },
      },
      ResultPath: null,
      Next: "Declined",
    });
    expect(states.Declined).toEqual({ Type: "Fail", Error: "Declined", Cause: "The card was declined." });
    expect(payments.failure).toMatchObject({ type: "payments.ChargeFailed", key: "$.input.orderId" });
    expect(payments.workflow!.milestones.map((m) => [m.state, m.eventType])).toEqual([
      ["Charged", "payments.Charged"],
      ["AnnounceDeclined", "payments.ChargeFailed"],
    ]);
  });

  it("is built by the backstop from a failed execution's status change, with the same id and as a repeat that looks for the Announce state's record first", () => {
    const change = {
      "detail-type": EXECUTION_STATUS_CHANGE as typeof EXECUTION_STATUS_CHANGE,
      source: "aws.states" as const,
      detail: { executionArn: "arn:aws:states:eu-west-1:1:execution:dev-payments:x", status: "TIMED_OUT", startDate: 1_000, stopDate: 61_000, input: JSON.stringify({ orderId: "o-9" }), error: null, cause: null },
    };
    expect(failureMilestoneInput(payments, change)).toEqual({
      type: "payments.ChargeFailed",
      key: "o-9",
      data: { orderId: "o-9", reason: "Execution.TIMED_OUT", detail: "" },
      executionId: change.detail.executionArn,
      state: FAILURE_STATE,
      attempt: 1,
      enteredTime: new Date(1_000).toISOString(),
      executionStartTime: new Date(1_000).toISOString(),
      time: new Date(61_000).toISOString(),
    });
    expect(failureMilestoneInput(payments, { ...change, detail: { ...change.detail, status: "SUCCEEDED" } })).toBeUndefined();
    expect(() => failureMilestoneInput(payments, { ...change, detail: { ...change.detail, input: null } })).toThrow(/carries no input .* publish it by hand/);
  });

  it("is published locally for a failure that reaches no Fail state (an uncaught task error), once", async () => {
    const published: Record<string, unknown>[] = [];
    const machine = new LocalStateMachine(payments, {
      stack: "test",
      loadTask: () => async () => {
        throw Object.assign(new Error("the bank is down"), { name: "BankDown" });
      },
      publisher: {
        async publish(input) {
          published.push(input as Record<string, unknown>);
          return { eventId: "e", topic: "payments.events", partition: 0, offset: "0", alreadyPublished: false };
        },
      },
    });
    const execution = machine.start("x", { orderId: "o-7" });
    await execution.done;

    expect(execution.status).toBe("FAILED");
    expect(published).toEqual([
      expect.objectContaining({ type: "payments.ChargeFailed", key: "o-7", state: FAILURE_STATE, attempt: 1, data: { orderId: "o-7", reason: "BankDown", detail: "the bank is down" } }),
    ]);
  });

  it("must be one of the context's events, from paths into the input, the error or the cause, covering the event's required fields", () => {
    const bad = defineContext({
      name: "bad",
      events: [Charged],
      workflow: defineWorkflow({ StartAt: "Nope", States: { Nope: fail("Nope", "no") } }),
      failure: onFailure(ChargeFailed, { key: "$.input.orderId", data: { orderId: "$.input.orderId", reason: "$.error", detail: "$.cause" } }),
    });
    const partial = defineContext({
      name: "partial",
      events: [ChargeFailed],
      workflow: defineWorkflow({ StartAt: "Nope", States: { Nope: fail("Nope", "no") } }),
      failure: { event: ChargeFailed, key: "$.orderId", data: { orderId: "$.input.orderId", reason: "$.state", colour: "$.error" } },
    });
    expect(problems({ contexts: [bad, partial], consumers: [] }, ": failure milestone")).toEqual([
      expect.stringMatching(/failure milestone of context "bad": is "ChargeFailed", which the context does not list in its events\. Fix: add ChargeFailed to the context's events/),
      expect.stringMatching(/failure milestone of context "partial": its key "\$\.orderId" is not a path into the execution's input\./),
      expect.stringMatching(/failure milestone of context "partial": field "reason" comes from "\$\.state", which is neither/),
      expect.stringMatching(/failure milestone of context "partial": sets "colour", which ChargeFailed's data does not have\./),
      expect.stringMatching(/failure milestone of context "partial": leaves out "detail", which ChargeFailed's data requires\./),
    ]);
  });
});

describe("start loops through a compensation path", () => {
  const Placed = defineEvent({ name: "Placed", schema: z.object({ orderId: z.string() }) });
  const Refunded = defineEvent({ name: "Refunded", schema: z.object({ orderId: z.string() }) });
  const workflowOf = (event: EventDefinition) => defineWorkflow({ StartAt: "M", States: { M: milestone(event, { key: "$.orderId", end: true }) } });
  const orders = defineContext({ name: "orders", events: [Placed, Refunded], workflow: workflowOf(Placed) });
  const billing = defineContext({ name: "billing", events: [ChargeFailed], workflow: workflowOf(ChargeFailed) });
  const startBilling = defineConsumer({ name: "start-billing", on: [orders.events.Placed], startWorkflow: billing });

  it("is a loop when the refund group's executions may publish anything of orders, and not when they reach only Refunded", () => {
    const refundAny = defineConsumer({ name: "refund", on: [billing.events.ChargeFailed], startWorkflow: orders });
    const refundOnly = defineConsumer({ name: "refund", on: [billing.events.ChargeFailed], startWorkflow: orders, reaches: [orders.events.Refunded] });
    expect(problems({ contexts: [orders, billing], consumers: [startBilling, refundAny] }, ": consumer")).toEqual([
      expect.stringMatching(/consumer "refund": starts workflows in a loop: orders → \(start-billing\) billing → \(refund\) → orders;/),
    ]);
    expect(problems({ contexts: [orders, billing], consumers: [startBilling, refundOnly] }, ": consumer")).toEqual([]);
  });

  it("refuses reaches of another context, or without a workflow to start", () => {
    const wrong = defineConsumer({ name: "refund", on: [billing.events.ChargeFailed], startWorkflow: orders, reaches: [billing.events.ChargeFailed] });
    const none = defineConsumer({ name: "watch", on: [billing.events.ChargeFailed], reaches: [orders.events.Refunded] });
    expect(problems({ contexts: [orders, billing], consumers: [wrong, none] }, "reach")).toEqual([
      expect.stringMatching(/consumer "refund": says its executions reach "billing.ChargeFailed", an event of another context than the one it starts \("orders"\)/),
      expect.stringMatching(/consumer "watch": says which events its executions reach, but starts no workflow\./),
      // Taken at its word, it does loop: billing's failure starts a refund that fails billing again.
      expect.stringMatching(/consumer "refund": starts workflows in a loop: billing → \(refund\) → orders;/),
    ]);
  });
});
