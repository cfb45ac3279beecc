import * as z from "zod";
import {
  bindWorkflow,
  defineContext,
  defineEvent,
  defineWorkflow,
  findIssues,
  formatIssue,
  milestone,
  succeed,
  task,
  type TaskModule,
  transient,
  type Topology,
} from "../../../platform/model";

const THIS_FILE = "test/unit/model/workflow.test.ts";
const Shipped = defineEvent({ name: "Shipped", schema: z.object({ id: z.string() }) });
const Packed = defineEvent({ name: "ItemPacked", schema: z.object({ id: z.string(), item: z.string() }) });

const shippingWorkflow = () =>
  defineWorkflow({
    StartAt: "Pack",
    States: {
      Pack: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemSelector: { "id.$": "$.id", "item.$": "$$.Map.Item.Value" },
        ItemProcessor: {
          StartAt: "PackItem",
          States: {
            PackItem: task("PackItem", { next: "ItemPacked", retry: transient }),
            ItemPacked: milestone(Packed, { key: "$.id", end: true }),
          },
        },
        ResultPath: null,
        Next: "Ship",
      },
      Ship: task("Ship", { next: "Shipped", catch: { errors: ["CarrierDown"], to: "Shipped" } }),
      Shipped: milestone(Shipped, { key: "$.id", data: "$.shipment", next: "Done" }),
      Done: succeed(),
    },
  });

/** A task module that is never loaded here: these tests check the workflow rules, not the files (see validate.test.ts). */
const aTask: TaskModule = async () => ({ handler: async (state: unknown) => state });
const tasks = { PackItem: aTask, Ship: aTask };
const shipping = () => defineContext({ name: "shipping", events: [Shipped, Packed], tasks, workflow: shippingWorkflow() });

function problems(topology: Topology): string[] {
  return findIssues(topology, { checkFiles: false }).map(formatIssue);
}

describe("workflow helpers", () => {
  it("build Lambda task states that pass the state in and take the payload out", () => {
    expect(task("Ship", { next: "Done", retry: transient, catch: { to: "Failed" } })).toEqual({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { FunctionName: "ensemble:task:Ship", "Payload.$": "$" },
      OutputPath: "$.Payload",
      Retry: transient,
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "Failed", ResultPath: "$.error" }],
      Next: "Done",
    });
  });

  it("write each milestone's state name, the execution id and (inside a Map) the item index into its payload", () => {
    const { workflow } = shipping();
    const states = workflow!.asl.States as Record<
      string,
      { Parameters?: { Payload?: unknown }; ItemSelector?: unknown; ItemProcessor?: { States: Record<string, { Parameters: { Payload: unknown } }> } }
    >;

    // The context object's retry count, entry time, redrive count and start time: see the publisher.
    const contextFields = {
      "attempt.$": "$$.State.RetryCount",
      "enteredTime.$": "$$.State.EnteredTime",
      "redriveCount.$": "$$.Execution.RedriveCount",
      "executionStartTime.$": "$$.Execution.StartTime",
    };
    expect(states.Shipped!.Parameters!.Payload).toEqual({
      type: "shipping.Shipped",
      "key.$": "$.id",
      "data.$": "$.shipment",
      "executionId.$": "$$.Execution.Id",
      ...contextFields,
      state: "Shipped",
    });
    expect(states.Pack!.ItemProcessor!.States.ItemPacked!.Parameters.Payload).toEqual({
      type: "shipping.ItemPacked",
      "key.$": "$.id",
      "data.$": "$",
      "executionId.$": "$$.Execution.Id",
      ...contextFields,
      state: "ItemPacked",
      "mapIndex.$": "$.mapIndex",
    });
    // Step Functions offers the index only in the Map's ItemSelector: it travels in the item's input.
    expect(states.Pack!.ItemSelector).toEqual({ "id.$": "$.id", "item.$": "$$.Map.Item.Value", "mapIndex.$": "$$.Map.Item.Index" });
    expect(workflow!.milestones).toEqual([
      { state: "ItemPacked", eventType: "shipping.ItemPacked", inMap: true, occurrence: undefined, loop: [] },
      { state: "Shipped", eventType: "shipping.Shipped", inMap: false, occurrence: undefined, loop: [] },
    ]);
    expect(workflow!.tasks).toEqual(["PackItem", "Ship"]);
  });

  it("bind every placeholder function name, nested ones included", () => {
    const bound = bindWorkflow(shipping().workflow!, { task: (name) => `arn:task:${name}`, milestone: "arn:milestone" });
    const text = JSON.stringify(bound);
    expect(text).not.toContain("ensemble:");
    expect(text.match(/arn:task:PackItem/g)).toHaveLength(1);
    expect(text.match(/arn:milestone/g)).toHaveLength(2);
  });
});

describe("validate, for workflows", () => {
  it("accepts a context whose workflow calls exactly its tasks and publishes exactly its events", () => {
    expect(problems({ contexts: [shipping()], consumers: [] })).toEqual([]);
  });

  it("rejects a task the workflow calls but the context does not declare, and one it never calls", () => {
    const context = defineContext({ name: "shipping", events: [Shipped, Packed], tasks: { PackItem: tasks.PackItem, Label: tasks.Ship }, workflow: shippingWorkflow() });
    expect(problems({ contexts: [context], consumers: [] })).toEqual([
      `${THIS_FILE}: context "shipping": its workflow calls task "Ship", which the context does not declare. Fix: add Ship: () => import("./tasks/ship.js") to the context's tasks.`,
      `${THIS_FILE}: context "shipping": declares task "Label", which its workflow never calls. Fix: call it from a task("Label", ...) state, or remove it from tasks.`,
    ]);
  });

  it("rejects a milestone of another context's event, and an event no milestone publishes", () => {
    const other = defineContext({ name: "billing", events: [defineEvent({ name: "Invoiced", schema: z.object({}) })] });
    const workflow = defineWorkflow({ StartAt: "Invoiced", States: { Invoiced: milestone(other.events.Invoiced, { key: "$.id", end: true }) } });
    const context = defineContext({ name: "shipping", events: [Shipped], workflow });
    expect(problems({ contexts: [context, other], consumers: [] })).toEqual([
      `${THIS_FILE}: context "shipping": milestone state "Invoiced" publishes "billing.Invoiced", which is not an event of this context. Fix: a context publishes only its own events: declare the event in this context's events, or publish it from its own context.`,
      `${THIS_FILE}: context "shipping": declares event "shipping.Shipped", but no milestone state publishes it. Fix: add a milestone(Shipped, ...) state to the workflow, or remove the event.`,
    ]);
  });

  it("rejects a Map whose iteration reaches a milestone but has no ItemSelector to pass the index", () => {
    const workflow = defineWorkflow({
      StartAt: "Each",
      States: {
        Each: { Type: "Map", ItemsPath: "$.items", ItemProcessor: { StartAt: "Packed", States: { Packed: milestone(Packed, { key: "$.id", end: true }) } }, End: true },
      },
    });
    expect(problems({ contexts: [defineContext({ name: "shipping", events: [Packed], workflow })], consumers: [] })).toEqual([
      `${THIS_FILE}: context "shipping": Map state "Each" reaches a milestone but has no ItemSelector. Fix: give it an ItemSelector (e.g. { "line.$": "$$.Map.Item.Value" }): Ensemble adds the item index to it, because milestone ids inside a Map need $$.Map.Item.Index, which Step Functions offers only there.`,
    ]);
  });

  it("rejects two states with one name across nested scopes", () => {
    const workflow = defineWorkflow({
      StartAt: "Each",
      States: {
        Each: { Type: "Map", ItemProcessor: { StartAt: "Done", States: { Done: succeed() } }, Next: "Done" },
        Done: succeed(),
      },
    });
    expect(problems({ contexts: [defineContext({ name: "shipping", events: [], workflow })], consumers: [] })).toEqual([
      `${THIS_FILE}: context "shipping": its workflow has two states named "Done". Fix: state names must be unique across the whole state machine, nested Map and Parallel states included: rename one.`,
    ]);
  });

  it("rejects transitions to states that do not exist and states nothing reaches", () => {
    const workflow = defineWorkflow({
      StartAt: "Start",
      States: { Begin: { Type: "Pass", Next: "Nowhere" }, Orphan: succeed() },
    });
    expect(problems({ contexts: [defineContext({ name: "shipping", events: [], workflow })], consumers: [] })).toEqual([
      `${THIS_FILE}: context "shipping": its workflow: StartAt "Start" is not a state of the workflow. Fix: point every StartAt, Next, Default and Catch at a state of the same scope, and remove unreachable states.`,
      `${THIS_FILE}: context "shipping": its workflow: state "Begin": Next "Nowhere" is not a state in its scope. Fix: point every StartAt, Next, Default and Catch at a state of the same scope, and remove unreachable states.`,
      `${THIS_FILE}: context "shipping": its workflow: state "Begin" is never reached. Fix: point every StartAt, Next, Default and Catch at a state of the same scope, and remove unreachable states.`,
      `${THIS_FILE}: context "shipping": its workflow: state "Orphan" is never reached. Fix: point every StartAt, Next, Default and Catch at a state of the same scope, and remove unreachable states.`,
    ]);
  });

  it("rejects tasks without a workflow, and a task name that is not PascalCase", () => {
    const noWorkflow = defineContext({ name: "billing", events: [], tasks: { Charge: aTask } });
    const workflow = defineWorkflow({ StartAt: "A", States: { A: task("charge_card", { end: true }) } });
    const badTask = defineContext({ name: "payments", events: [], tasks: { charge_card: aTask }, workflow });
    expect(problems({ contexts: [noWorkflow, badTask], consumers: [] })).toEqual([
      `${THIS_FILE}: context "billing": declares tasks but no workflow calls them. Fix: add a workflow (defineWorkflow) that calls the tasks, or remove them.`,
      `${THIS_FILE}: task "payments.charge_card": has an invalid name. Fix: name tasks in PascalCase: letters and digits, starting with an uppercase letter (e.g. "ReserveStock").`,
    ]);
  });

  it("rejects a task whose function name would exceed 64 characters", () => {
    const name = `T${"x".repeat(33)}`; // 20 (stack) + 1 + 8 (shipping) + 1 + 34 = 64: fits
    const longer = `${name}y`;
    const workflow = defineWorkflow({ StartAt: "A", States: { A: task(name, { next: "B" }), B: task(longer, { end: true }) } });
    const context = defineContext({ name: "shipping", events: [], tasks: { [name]: aTask, [longer]: aTask }, workflow });
    expect(problems({ contexts: [context], consumers: [] })).toEqual([
      `${THIS_FILE}: task "shipping.${longer}": its Lambda function name "${"s".repeat(20)}-shipping-${longer}" would be 65 characters with the longest stack name allowed (20 characters); the limit is 64. Fix: shorten the task name by at least 1 character.`,
    ]);
  });
});
