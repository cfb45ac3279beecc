import { orders } from "../../../contexts";
import { stock } from "../../../contexts/orders/domain";
import { TaskModuleError } from "../../../platform/model";
import { type ExecutionEvent, loadTaskHandler, LocalStateMachine } from "../../../platform/local/state-machine";
import { LocalWorkflowStarter } from "../../../platform/local/workflow-starter";
import { defineContext, type TaskModule } from "../../../platform/model";
import { eventId } from "../../../platform/runtime/envelope";
import { MilestonePublisher } from "../../../platform/runtime/publisher";
import { WorkflowStartError } from "../../../platform/runtime/workflow-starter";

/** Publishes nothing: records the task input and answers as the publisher would. */
function recordingPublisher() {
  const published: Record<string, unknown>[] = [];
  const validator = new MilestonePublisher(orders);
  return {
    published,
    async publish(input: unknown) {
      published.push(input as Record<string, unknown>);
      return { eventId: validator.eventIdOf(input), topic: "orders.events", partition: 0, offset: String(published.length - 1), alreadyPublished: false };
    },
  };
}

const order = (orderId: string, lines: { sku: string; quantity: number }[]) => ({ orderId, customerId: "c-1", lines, currency: "EUR" });

describe("LocalStateMachine, on the orders workflow", () => {
  it("runs the deployed definition: tasks bound to the handlers, the milestone to the publisher with state name and execution id", async () => {
    // Prepare
    const publisher = recordingPublisher();
    const machine = new LocalStateMachine(orders, { stack: "local", publisher });

    // Act
    const execution = machine.start("exec-placed-1", order("o-exec-1", [{ sku: "teapot", quantity: 1 }]));
    await execution.done;

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.currentState).toBe("Done");
    expect(publisher.published).toEqual([
      {
        type: "orders.OrderPlaced",
        key: "o-exec-1",
        data: expect.objectContaining({ orderId: "o-exec-1", totalCents: 3200, reservationId: "res-o-exec-1", paymentId: "pay-o-exec-1" }),
        executionId: "arn:aws:states:local:000000000000:execution:local-orders:exec-placed-1",
        state: "Placed",
        // The context fields aws-local-stepfunctions leaves out, filled as Step Functions does: a first attempt, no redrive.
        attempt: 0,
        redriveCount: 0,
        enteredTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        executionStartTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // The event id is the one a deployed execution with this ARN would publish.
    expect(new MilestonePublisher(orders).eventIdOf(publisher.published[0])).toBe(eventId({ executionId: execution.executionArn, state: "Placed" }));
  });

  it("follows Catch to the compensation when the payment is declined, publishing OrderRejected", async () => {
    // Prepare
    const publisher = recordingPublisher();
    const entered: string[] = [];

    // Act
    const execution = new LocalStateMachine(orders, {
      stack: "local",
      publisher,
      observer: { onStateEntered: (_, state) => entered.push(state) },
    }).start("exec-declined-1", order("o-exec-2", [{ sku: "kettle-steel", quantity: 5 }]));
    await execution.done;

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error?.name).toBe("OrderRejected");
    expect(entered).toEqual(["Route", "Validate", "Reserve", "Charge", "Release", "Rejected", "NotPlaced"]);
    expect(publisher.published).toEqual([
      expect.objectContaining({ type: "orders.OrderRejected", key: "o-exec-2", data: expect.objectContaining({ reason: "payment-declined" }), state: "Rejected" }),
    ]);
  });

  it("retries a task whose stock service is down once, with the Retry naming that error, and reserves the stock once", async () => {
    // Prepare: the stock service fails the next reservation, as a handler error named Orders.StockServiceUnavailable
    const publisher = recordingPublisher();
    const events: ExecutionEvent[] = [];
    const machine = new LocalStateMachine(orders, { stack: "local", publisher, observer: { onEvent: (_, event) => events.push(event) } });
    const before = stock.availableOf("tea-sencha");
    stock.outage(1);

    // Act
    const execution = machine.start("exec-retried-1", order("o-exec-4", [{ sku: "tea-sencha", quantity: 3 }]));
    await execution.done;

    // Assess: one failure of Reserve, retried by the retrier that lists the error, then on to the milestone
    expect(execution.status).toBe("SUCCEEDED");
    expect(events.filter((e) => e.type === "StateFailed" || e.type === "StateRetried")).toEqual([
      expect.objectContaining({ type: "StateFailed", state: expect.objectContaining({ name: "Reserve" }), Error: "Orders.StockServiceUnavailable" }),
      expect.objectContaining({
        type: "StateRetried",
        state: expect.objectContaining({ name: "Reserve" }),
        retry: { retrier: expect.objectContaining({ ErrorEquals: ["Orders.StockServiceUnavailable"] }), attempt: 1 },
      }),
    ]);
    expect(stock.availableOf("tea-sencha")).toBe(before - 3);
    expect(publisher.published).toEqual([expect.objectContaining({ type: "orders.OrderPlaced", key: "o-exec-4", data: expect.objectContaining({ reservationId: "res-o-exec-4" }) })]);
  });

  it("refuses a second execution with the same name, which the starter port reports as already started", async () => {
    const machine = new LocalStateMachine(orders, { stack: "local", publisher: recordingPublisher() });
    const starter = new LocalWorkflowStarter(new Map([["orders", machine]]));
    const input = order("o-exec-3", [{ sku: "mug-white", quantity: 1 }]);

    const first = await starter.start({ stateMachine: "orders", name: "same-name", input });
    const second = await starter.start({ stateMachine: "orders", name: "same-name", input });
    await Promise.all(machine.all.map((e) => e.done));

    expect(first).toEqual({ executionId: "arn:aws:states:local:000000000000:execution:local-orders:same-name", started: true });
    expect(second).toEqual({ executionId: first.executionId, started: false });
    expect(machine.all).toHaveLength(1);
  });

  it("refuses a context it has no state machine for with a WorkflowStartError naming the group, the event and the contexts it has", async () => {
    const machine = new LocalStateMachine(orders, { stack: "local", publisher: recordingPublisher() });
    const starter = new LocalWorkflowStarter(new Map([["orders", machine]]));

    const start = starter.start({ stateMachine: "shiping", name: "x", input: {}, eventId: "e-1", eventType: "orders.OrderPlaced", group: "start-shipping" });

    await expect(start).rejects.toThrow(WorkflowStartError);
    await expect(start).rejects.toThrow(
      'Could not start execution "x" for event orders.OrderPlaced e-1 of consumer group "start-shipping": no local state machine for context "shiping" (contexts: orders). Not retryable: fix the group\'s startWorkflow.',
    );
    expect(machine.all).toHaveLength(0);
  });
});

describe("loading a task's handler", () => {
  // Declared as if in contexts/orders/context.ts: its tasks are deployed from contexts/orders/tasks/.
  const ordersDir = orders.dir!;
  const withTask = (name: string, module: TaskModule) => defineContext({ name: "orders", dir: ordersDir, events: [], tasks: { [name]: module } });

  it("loads the handler through the context's own reference, the module deployed for the task", async () => {
    const handler = await loadTaskHandler(orders, "ValidateOrder");

    expect(handler).toBe((await import("../../../contexts/orders/tasks/validate-order.js")).handler);
  });

  it("refuses a reference to another module than the one deployed for the task, before any execution", async () => {
    // Prepare: ValidateOrder would run reserve-stock's handler here and validate-order's on AWS
    const context = withTask("ValidateOrder", () => import("../../../contexts/orders/tasks/reserve-stock.js"));

    // Act
    const loading = loadTaskHandler(context, "ValidateOrder");

    // Assess
    await expect(loading).rejects.toThrow(TaskModuleError);
    await expect(loading).rejects.toThrow(
      `Task orders.ValidateOrder: its reference loads another module than contexts/orders/tasks/validate-order.ts, the one deployed for it. ` +
        `Fix: reference it as ValidateOrder: () => import("./tasks/validate-order.js") with its module at contexts/orders/tasks/validate-order.ts, or rename the task after its module.`,
    );
  });

  it("fails ready(), and every run of the task, when the module has no handler", async () => {
    // Prepare: what only a reference the type checker did not see can do
    const context = withTask("ValidateOrder", (async () => ({})) as unknown as TaskModule);
    const machine = new LocalStateMachine(
      { ...orders, tasks: context.tasks },
      { stack: "local", publisher: recordingPublisher() },
    );

    // Act
    const execution = machine.start("exec-no-handler", order("o-exec-5", [{ sku: "teapot", quantity: 1 }]));
    await execution.done;

    // Assess
    const error = new TaskModuleError("Task orders.ValidateOrder: its module exports no handler function; export one (export async function handler(state) { ... }).");
    await expect(machine.ready()).rejects.toThrow(error);
    expect(execution).toMatchObject({ status: "FAILED", error: { name: "TaskModuleError", message: error.message } });
  });
});
