import * as path from "node:path";
import * as z from "zod";
import { CONSUMER_DEFAULTS, type ConsumedEvent, defineConsumer, defineContext, defineEvent, kebab, taskFile, taskImport } from "../../../platform/model";

const Placed = defineEvent({ name: "OrderPlaced", schema: z.object({ orderId: z.string(), totalCents: z.number() }) });
const Rejected = defineEvent({ name: "OrderRejected", version: 2, schema: z.object({ orderId: z.string(), reason: z.string() }) });
const orders = defineContext({ name: "orders", events: [Placed, Rejected] });

describe("defineContext", () => {
  it("binds each event to the context with its CloudEvent type", () => {
    expect(orders.events.OrderPlaced).toMatchObject({ kind: "event", context: "orders", name: "OrderPlaced", type: "orders.OrderPlaced", version: 1 });
    expect(orders.events["OrderRejected.v2"]).toMatchObject({ type: "orders.OrderRejected.v2", version: 2 });
    expect(orders.eventList.map((e) => e.type)).toEqual(["orders.OrderPlaced", "orders.OrderRejected.v2"]);
  });

  it("records the file that declared it", () => {
    expect(orders.definedIn).toBe("test/unit/model/define.test.ts");
  });

  it("makes a typo in an event reference a compile error", () => {
    // @ts-expect-error "OrderPlacd" is not an event of orders
    expect(orders.events.OrderPlacd).toBeUndefined();
  });
});

describe("defineContext, tasks", () => {
  const ORDERS_DIR = path.resolve(__dirname, "../../../contexts/orders");

  it("keeps each task's module reference, unloaded, and finds its file from the context's folder", async () => {
    // Act
    const context = defineContext({
      name: "orders",
      dir: ORDERS_DIR,
      events: [],
      tasks: {
        ValidateOrder: () => import("../../../contexts/orders/tasks/validate-order.js"),
        ReserveStock: { module: () => import("../../../contexts/orders/tasks/reserve-stock.js"), timeoutSeconds: 60 },
      },
    });

    // Assess
    expect(context.dir).toBe(ORDERS_DIR);
    expect(context.tasks.map((t) => [t.name, t.timeoutSeconds])).toEqual([
      ["ValidateOrder", undefined],
      ["ReserveStock", 60],
    ]);
    expect(taskFile(context, "ValidateOrder")).toBe(path.join(ORDERS_DIR, "tasks", "validate-order.ts"));
    expect(typeof (await context.tasks[0]!.module()).handler).toBe("function");
  });

  it("makes a missing task module, or one without a handler, a compile error", () => {
    const references = {
      // @ts-expect-error there is no such module
      Missing: () => import("./no-such-task.js"),
      NoHandler: () => import("../../../contexts/orders/domain.js"),
    };
    // @ts-expect-error the domain module exports no handler
    expect(() => defineContext({ name: "orders", events: [], tasks: references })).not.toThrow();
  });

  it.each([
    ["ValidateOrder", "validate-order"],
    ["SendSMSReceipt", "send-sms-receipt"],
    ["Step2Done", "step2-done"],
    ["Ship", "ship"],
  ])("names task %s's module %s.ts", (task, file) => {
    expect(kebab(task)).toBe(file);
    expect(taskImport(task)).toBe(`./tasks/${file}.js`);
  });
});

describe("defineConsumer", () => {
  it("fills every setting it is not given with the documented default", () => {
    const consumer = defineConsumer({ name: "audit", on: [orders.events.OrderPlaced] });
    expect(consumer).toMatchObject({
      handler: CONSUMER_DEFAULTS.handler,
      batch: { size: 100, windowSeconds: 0 },
      scaling: { minPollers: 1, maxPollers: 2 },
      retries: 3,
      maxRecordAgeSeconds: -1,
      bisectOnError: true,
      startingPosition: "TRIM_HORIZON",
      definedIn: "test/unit/model/define.test.ts",
    });
  });

  it("keeps given settings and defaults the rest of a partial group", () => {
    const consumer = defineConsumer({ name: "audit", on: [orders.events.OrderPlaced], batch: { windowSeconds: 10 }, scaling: { maxPollers: 8 } });
    expect(consumer.batch).toEqual({ size: 100, windowSeconds: 10 });
    expect(consumer.scaling).toEqual({ minPollers: 1, maxPollers: 8 });
  });

  it("infers the handler's event type from the subscriptions", () => {
    const consumer = defineConsumer({ name: "audit", on: [orders.events.OrderPlaced, orders.events["OrderRejected.v2"]] });
    const describe = (event: ConsumedEvent<typeof consumer>): string =>
      event.type === "orders.OrderPlaced" ? `${event.data.orderId}:${event.data.totalCents}` : `${event.data.orderId}:${event.data.reason}`;

    expect(describe({ type: "orders.OrderPlaced", data: { orderId: "o-1", totalCents: 250 } })).toBe("o-1:250");
    expect(describe({ type: "orders.OrderRejected.v2", data: { orderId: "o-2", reason: "declined" } })).toBe("o-2:declined");
    // @ts-expect-error the consumer is not subscribed to this type
    expect(() => describe({ type: "orders.OrderShipped", data: { orderId: "o-3" } })).not.toThrow();
  });
});
