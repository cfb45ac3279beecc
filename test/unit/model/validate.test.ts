import * as path from "node:path";
import * as z from "zod";
import {
  defineWorkflow,
  milestone,
  task,
  NAME_LIMITS,
  names,
  defineConsumer,
  defineContext,
  defineEvent,
  findIssues,
  formatIssue,
  type ConsumerSpec,
  type ContextEvent,
  type TaskModule,
  type Topology,
  TopologyError,
  validate,
} from "../../../platform/model";
import { topology } from "../../../topology";
import { inExample } from "../../support/example";

const THIS_FILE = "test/unit/model/validate.test.ts";

const Placed = defineEvent({ name: "OrderPlaced", schema: z.object({ orderId: z.string() }) });
const Rejected = defineEvent({ name: "OrderRejected", schema: z.object({ orderId: z.string() }) });
const orders = defineContext({ name: "orders", events: [Placed, Rejected] });

/** A task module, never loaded: checks of task files use real folders (see "task modules"). */
const aTask: TaskModule = async () => ({ handler: async (state: unknown) => state });

function consumer(overrides: Partial<ConsumerSpec<string, readonly ContextEvent[]>> = {}) {
  return defineConsumer({ name: "notify", on: [orders.events.OrderPlaced], ...overrides });
}

/** The formatted issues of a topology, checked without touching the file system. */
function problems(topology: Topology, stack?: string): string[] {
  return findIssues(topology, { checkFiles: false, ...(stack === undefined ? {} : { stack }) }).map(formatIssue);
}

describe("validate", () => {
  it("accepts the project's own topology and derives its topics", () => {
    // Act
    const valid = validate(topology, { stack: "dev" });

    // Assess
    expect(valid.topics.filter((t) => inExample(t.owner)).map((t) => t.name)).toEqual([
      "orders.events",
      "shipping.events",
      "billing.events",
      "notify-customer.dlq",
      "sales-ledger.dlq",
      "start-shipping.dlq",
      "start-billing.dlq",
      "analytics.dlq",
      "audit-archive.dlq",
      "refund-order.dlq",
      "recall-shipment.dlq",
      "billing-correlator.dlq",
      "invariants.dlq",
      "invariants.violations",
    ]);
    expect(valid.events.filter((e) => inExample(e.context)).map((e) => e.type)).toEqual([
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
    expect(valid.subscribersOf("orders.OrderPlaced").map((c) => c.name).filter(inExample)).toEqual(["notify-customer", "sales-ledger", "start-shipping", "start-billing", "analytics", "audit-archive", "invariants"]);
  });

  it("throws one TopologyError that lists every issue with its file and fix", () => {
    // Prepare
    const bad = { contexts: [orders], consumers: [consumer({ on: [] }), consumer({ name: "Bad_Name" })] };

    // Act
    const act = () => validate(bad, { checkFiles: false });

    // Assess
    expect(act).toThrow(TopologyError);
    expect(act).toThrow(
      [
        "Invalid topology (2 problems):",
        `  - ${THIS_FILE}: consumer "notify": subscribes to no events. Fix: list at least one event in \`on\`, e.g. on: [orders.events.OrderPlaced].`,
        `  - ${THIS_FILE}: consumer "Bad_Name": has an invalid name. Fix: name the consumer group in kebab-case: lowercase letters, digits and single hyphens, starting with a letter (e.g. "bad-name").`,
      ].join("\n"),
    );
  });

  describe("duplicates", () => {
    it("rejects two contexts with one name", () => {
      const again = defineContext({ name: "orders", events: [Placed] });
      expect(problems({ contexts: [orders, again], consumers: [] })).toEqual([
        `${THIS_FILE}: context "orders": is declared twice (first in ${THIS_FILE}). Fix: give each context a unique name, or list it once in contexts/index.ts.`,
      ]);
    });

    it("rejects an event declared twice in one context", () => {
      const twice = defineContext({ name: "billing", events: [Placed, Placed] });
      expect(problems({ contexts: [twice], consumers: [] })).toEqual([
        `${THIS_FILE}: event "billing.OrderPlaced": is declared twice in context "billing". Fix: give each event of a context a unique name (or, for a new schema of the same event, a new version), or list it once in the context's events.`,
      ]);
    });

    it("rejects two consumer groups with one name", () => {
      expect(problems({ contexts: [orders], consumers: [consumer(), consumer()] })).toEqual([
        `${THIS_FILE}: consumer "notify": is declared twice (first in ${THIS_FILE}); two groups would share one group id and split its events. Fix: give each consumer group a unique name, or list it once in consumers/index.ts.`,
      ]);
    });

    it("rejects a consumer whose function name collides with a context's publisher", () => {
      expect(problems({ contexts: [orders], consumers: [consumer({ name: "orders-publisher" })] }, "dev")).toEqual([
        `${THIS_FILE}: consumer "orders-publisher": its Lambda function name "dev-orders-publisher" is the same as that of context "orders". Fix: rename one of them so the Lambda function names differ.`,
      ]);
    });

    it("rejects a consumer whose function name differs only in case from a task's", () => {
      // Prepare: context orders' task Validate runs as "dev-orders-Validate"
      const withTask = defineContext({
        name: "orders",
        events: [Placed],
        tasks: { Validate: aTask },
        workflow: defineWorkflow({
          StartAt: "Validate",
          States: { Validate: task("Validate", { next: "Placed" }), Placed: milestone(Placed, { key: "$.orderId", end: true }) },
        }),
      });

      // Act / Assess
      expect(problems({ contexts: [withTask], consumers: [consumer({ name: "orders-validate", on: [withTask.events.OrderPlaced] })] }, "dev")).toEqual([
        `${THIS_FILE}: consumer "orders-validate": its Lambda function name "dev-orders-validate" differs only in case from "dev-orders-Validate", that of task "orders.Validate". Fix: rename one of them so the Lambda function names differ in more than case.`,
      ]);
    });

    it("rejects a task whose function name differs only in case from its context's publisher", () => {
      const withPublisherTask = defineContext({
        name: "orders",
        events: [Placed],
        tasks: { Publisher: aTask },
        workflow: defineWorkflow({
          StartAt: "Publisher",
          States: { Publisher: task("Publisher", { next: "Placed" }), Placed: milestone(Placed, { key: "$.orderId", end: true }) },
        }),
      });
      expect(problems({ contexts: [withPublisherTask], consumers: [] }, "dev")).toEqual([
        `${THIS_FILE}: task "orders.Publisher": its Lambda function name "dev-orders-Publisher" differs only in case from "dev-orders-publisher", that of context "orders". Fix: rename one of them so the Lambda function names differ in more than case.`,
      ]);
    });

    it("rejects an event listed twice in one consumer's subscriptions", () => {
      const on = [orders.events.OrderPlaced, orders.events.OrderPlaced];
      expect(problems({ contexts: [orders], consumers: [consumer({ on })] })).toEqual([
        `${THIS_FILE}: consumer "notify": subscribes to "orders.OrderPlaced" twice. Fix: list each event once in \`on\`.`,
      ]);
    });
  });

  describe("names", () => {
    it("builds, from any valid stack, context, group and task names, only names AWS and Kafka accept", () => {
      // Why validate() checks lengths only: the characters of every part are already restricted.
      const stacks = ["a", "prod-eu-2", "s".repeat(20)];
      const kebab = ["a", "orders", "a1-b2-c3"];
      const pascal = ["A", "ReserveStock", "V2Check"];
      for (const stack of stacks) {
        for (const name of kebab) {
          expect(names.contextTopic(name)).toMatch(NAME_LIMITS.kafkaTopic.pattern);
          expect(names.deadLetterTopic(name)).toMatch(NAME_LIMITS.kafkaTopic.pattern);
          expect(names.consumerGroupId(stack, name, name)).toMatch(NAME_LIMITS.consumerGroupId.pattern);
          expect(names.consumerFunction(stack, name)).toMatch(NAME_LIMITS.lambdaFunction.pattern);
          expect(names.publisherFunction(stack, name)).toMatch(NAME_LIMITS.lambdaFunction.pattern);
          expect(names.stateMachine(stack, name)).toMatch(NAME_LIMITS.stateMachine.pattern);
          for (const taskName of pascal) expect(names.taskFunction(stack, name, taskName)).toMatch(NAME_LIMITS.lambdaFunction.pattern);
        }
      }
    });

    it("rejects a stack name with a character Kafka or AWS refuse, before building names from it", () => {
      expect(problems({ contexts: [orders], consumers: [consumer()] }, "dev.eu")).toEqual([
        `stack "dev.eu": is not a valid stack name: it goes into topic, group and function names. Fix: use at most 20 lowercase letters, digits and hyphens, starting with a letter (e.g. "dev", "prod-eu").`,
      ]);
    });

    it("rejects a context name that is not kebab-case", () => {
      const bad = defineContext({ name: "OrderHistory", events: [] });
      expect(problems({ contexts: [bad], consumers: [] })).toEqual([
        `${THIS_FILE}: context "OrderHistory": has an invalid name. Fix: name the context in kebab-case: lowercase letters, digits and single hyphens, starting with a letter (e.g. "order-history").`,
      ]);
    });

    it("rejects an event name that is not PascalCase", () => {
      const bad = defineContext({ name: "billing", events: [defineEvent({ name: "invoice.sent", schema: z.object({}) })] });
      expect(problems({ contexts: [bad], consumers: [] })).toEqual([
        `${THIS_FILE}: event "billing.invoice.sent": has an invalid name "invoice.sent". Fix: name events in PascalCase: letters and digits, starting with an uppercase letter (e.g. "OrderPlaced").`,
      ]);
    });

    it("rejects an event without a zod schema or with a bad version", () => {
      const bad = defineContext({
        name: "billing",
        events: [defineEvent({ name: "InvoiceSent", version: 0, schema: {} as unknown as z.ZodObject })],
      });
      expect(problems({ contexts: [bad], consumers: [] })).toEqual([
        `${THIS_FILE}: event "billing.InvoiceSent.v0": has version 0. Fix: use a positive integer version (1, 2, ...).`,
        `${THIS_FILE}: event "billing.InvoiceSent.v0": has no zod schema. Fix: set \`schema\` to a zod schema, e.g. z.object({ ... }).`,
      ]);
    });

    it("rejects an invalid stack name", () => {
      expect(problems({ contexts: [orders], consumers: [] }, "Prod.EU")).toEqual([
        `stack "Prod.EU": is not a valid stack name: it goes into topic, group and function names. Fix: use at most 20 lowercase letters, digits and hyphens, starting with a letter (e.g. "dev", "prod-eu").`,
      ]);
    });

    it("rejects a consumer whose Lambda function name would exceed 64 characters with the longest stack", () => {
      // 20 (stack) + 1 + 44 = 65 characters
      const name = `g${"-x".repeat(21)}y`;
      expect(problems({ contexts: [orders], consumers: [consumer({ name })] })).toEqual([
        `${THIS_FILE}: consumer "${name}": its Lambda function name "${"s".repeat(20)}-${name}" would be 65 characters with the longest stack name allowed (20 characters); the limit is 64. Fix: shorten the consumer group name by at least 1 character.`,
      ]);
    });

    it("checks names against the actual stack when one is given", () => {
      const name = `g${"-x".repeat(21)}y`;
      expect(problems({ contexts: [orders], consumers: [consumer({ name })] }, "dev")).toEqual([]);
    });

    it("rejects a context whose publisher function name would exceed 64 characters", () => {
      const name = `c${"x".repeat(33)}`; // dev- + 34 + -publisher (10) = 48 ok; the 20-char stack makes 65
      expect(problems({ contexts: [defineContext({ name, events: [] })], consumers: [] })).toEqual([
        `${THIS_FILE}: context "${name}": its Lambda function name "${"s".repeat(20)}-${name}-publisher" would be 65 characters with the longest stack name allowed (20 characters); the limit is 64. Fix: shorten the context name by at least 1 character.`,
      ]);
    });

    it("rejects a context whose state machine name would exceed 80 characters", () => {
      const name = `c${"x".repeat(64)}`; // 20 + 1 + 65 = 86 > 80 (and its publisher > 64)
      const issues = problems({ contexts: [defineContext({ name, events: [] })], consumers: [] });
      expect(issues).toContain(
        `${THIS_FILE}: context "${name}": its state machine name "${"s".repeat(20)}-${name}" would be 86 characters with the longest stack name allowed (20 characters); the limit is 80. Fix: shorten the context name by at least 6 characters.`,
      );
    });

    it("rejects names whose Kafka topic or consumer group id would be too long", () => {
      const longContext = `c${"x".repeat(242)}`; // "<243>.events" = 250 > 249
      const longGroup = `g${"x".repeat(190)}`; // "dev.<191>.orders" = 202 > 200
      const context = defineContext({ name: longContext, events: [] });
      const issues = problems({ contexts: [context], consumers: [consumer({ name: longGroup })] }, "dev");
      expect(issues).toContain(
        `${THIS_FILE}: context "${longContext}": its Kafka topic name "${longContext}.events" would be 250 characters with stack "dev"; the limit is 249. Fix: shorten the context name by at least 1 character.`,
      );
      expect(issues).toContain(
        `${THIS_FILE}: consumer "${longGroup}": its consumer group id "dev.${longGroup}.orders" would be 202 characters with stack "dev"; the limit is 200. Fix: shorten the consumer group name by at least 2 characters.`,
      );
    });
  });

  describe("subscriptions", () => {
    it("rejects a consumer with no subscriptions", () => {
      expect(problems({ contexts: [orders], consumers: [consumer({ on: [] })] })).toEqual([
        `${THIS_FILE}: consumer "notify": subscribes to no events. Fix: list at least one event in \`on\`, e.g. on: [orders.events.OrderPlaced].`,
      ]);
    });

    it("rejects an event of a context that is not in the topology, suggesting close names", () => {
      const shipping = defineContext({ name: "shipping", events: [defineEvent({ name: "OrderPlacd", schema: z.object({}) })] });
      const on = [shipping.events.OrderPlacd];
      expect(problems({ contexts: [orders], consumers: [consumer({ on })] })).toEqual([
        `${THIS_FILE}: consumer "notify": subscribes to "shipping.OrderPlacd", but no context named "shipping" is in the topology. Fix: add context "shipping" to contexts/index.ts, or subscribe to a declared event. Did you mean "orders.OrderPlaced"?`,
      ]);
    });

    it("rejects an event its context does not declare", () => {
      // An event bound to "orders" by an older definition of the context.
      const stale = defineContext({ name: "orders", events: [defineEvent({ name: "OrderShipped", schema: z.object({}) })] });
      const on = [stale.events.OrderShipped];
      expect(problems({ contexts: [orders], consumers: [consumer({ on })] })).toEqual([
        `${THIS_FILE}: consumer "notify": subscribes to "orders.OrderShipped", but context "orders" declares no event "OrderShipped". Fix: add "OrderShipped" to the events of context "orders", or subscribe to a declared event. Did you mean "orders.OrderPlaced" or "orders.OrderRejected"?`,
      ]);
    });
  });

  describe("settings", () => {
    const cases: [string, Partial<ConsumerSpec<string, readonly ContextEvent[]>>, string][] = [
      ["batch size 0", { batch: { size: 0 } }, "batch.size is 0; it must be a whole number from 1 to 10000. Fix: set batch.size between 1 and 10000"],
      ["batch size 10001", { batch: { size: 10_001 } }, "batch.size is 10001; it must be a whole number from 1 to 10000."],
      ["batch size 1.5", { batch: { size: 1.5 } }, "batch.size is 1.5; it must be a whole number from 1 to 10000."],
      ["window -1", { batch: { windowSeconds: -1 } }, "batch.windowSeconds is -1; it must be a whole number from 0 to 300. Fix: set batch.windowSeconds between 0 and 300"],
      ["window 301", { batch: { windowSeconds: 301 } }, "batch.windowSeconds is 301; it must be a whole number from 0 to 300."],
      ["min pollers 0", { scaling: { minPollers: 0 } }, "scaling.minPollers is 0; it must be a whole number from 1 to 200."],
      ["min pollers 201", { scaling: { minPollers: 201, maxPollers: 300 } }, "scaling.minPollers is 201; it must be a whole number from 1 to 200."],
      ["max pollers 0", { scaling: { minPollers: 1, maxPollers: 0 } }, "scaling.maxPollers is 0; it must be a whole number from 1 to 2000."],
      ["max pollers 2001", { scaling: { maxPollers: 2001 } }, "scaling.maxPollers is 2001; it must be a whole number from 1 to 2000."],
      ["retries -2", { retries: -2 }, "retries is -2; it must be a whole number from -1 to 10000. Fix: set retries between -1 and 10000"],
      ["retries 10001", { retries: 10_001 }, "retries is 10001; it must be a whole number from -1 to 10000."],
      ["record age 59", { maxRecordAgeSeconds: 59 }, "maxRecordAgeSeconds is 59; it must be -1 (no limit) or a whole number from 60 to 604800. Fix: set maxRecordAgeSeconds to -1, or between 60 and 604800 seconds (7 days)."],
      ["record age 604801", { maxRecordAgeSeconds: 604_801 }, "maxRecordAgeSeconds is 604801; it must be -1 (no limit) or a whole number from 60 to 604800."],
      ["record age -2", { maxRecordAgeSeconds: -2 }, "maxRecordAgeSeconds is -2; it must be -1 (no limit) or a whole number from 60 to 604800."],
    ];

    it.each(cases)("rejects %s", (_, overrides, message) => {
      const issues = problems({ contexts: [orders], consumers: [consumer(overrides)] });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toContain(`${THIS_FILE}: consumer "notify": ${message}`);
    });

    it("rejects min pollers greater than max pollers", () => {
      expect(problems({ contexts: [orders], consumers: [consumer({ scaling: { minPollers: 5, maxPollers: 2 } })] })).toEqual([
        `${THIS_FILE}: consumer "notify": scaling.minPollers (5) is greater than scaling.maxPollers (2). Fix: raise scaling.maxPollers to at least 5, or lower scaling.minPollers.`,
      ]);
    });

    it.each([
      ["the smallest values", { batch: { size: 1, windowSeconds: 0 }, scaling: { minPollers: 1, maxPollers: 1 }, retries: -1, maxRecordAgeSeconds: -1 }],
      ["the largest values", { batch: { size: 10_000, windowSeconds: 300 }, scaling: { minPollers: 200, maxPollers: 2000 }, retries: 10_000, maxRecordAgeSeconds: 604_800 }],
      ["the shortest record age", { maxRecordAgeSeconds: 60 }],
    ] as const)("accepts %s", (_, overrides) => {
      expect(problems({ contexts: [orders], consumers: [consumer(overrides)] })).toEqual([]);
    });
  });

  describe("handler files", () => {
    it("rejects a consumer whose handler module does not exist", () => {
      const issues = findIssues({ contexts: [orders], consumers: [consumer({ handler: "./missing-handler.ts" })] }).map(formatIssue);
      expect(issues).toEqual([
        `${THIS_FILE}: consumer "notify": its handler "./missing-handler.ts" does not exist (looked for test/unit/model/missing-handler.ts). Fix: create the handler module, or point \`handler\` at it relative to ${THIS_FILE}.`,
      ]);
    });

    it("accepts a handler path that exists", () => {
      expect(findIssues({ contexts: [orders], consumers: [consumer({ handler: "./validate.test.ts" })] })).toEqual([]);
    });
  });

  describe("task modules", () => {
    // The orders example's folder: tasks/validate-order.ts is there, tasks/pack-item.ts is not.
    const ORDERS_DIR = path.resolve(__dirname, "../../../contexts/orders");
    const withTasks = (dir: string | undefined, ...tasks: string[]) =>
      defineContext({
        name: "orders",
        ...(dir === undefined ? {} : { dir }),
        events: [Placed],
        tasks: Object.fromEntries(tasks.map((name) => [name, aTask])),
        workflow: defineWorkflow({
          StartAt: tasks[0]!,
          States: {
            ...Object.fromEntries(tasks.map((name, i) => [name, task(name, { next: tasks[i + 1] ?? "Placed" })])),
            Placed: milestone(Placed, { key: "$.orderId", end: true }),
          },
        }),
      });

    it("accepts tasks whose modules are tasks/<task in kebab-case>.ts in the context's folder", () => {
      expect(findIssues({ contexts: [withTasks(ORDERS_DIR, "ValidateOrder", "ReserveStock")], consumers: [] })).toEqual([]);
    });

    it("rejects a task whose module is not where it is deployed from, naming the file and the reference to write", () => {
      expect(findIssues({ contexts: [withTasks(ORDERS_DIR, "ValidateOrder", "PackItem")], consumers: [] }).map(formatIssue)).toEqual([
        `${THIS_FILE}: task "orders.PackItem": its module contexts/orders/tasks/pack-item.ts does not exist: a task is deployed from tasks/<its name in kebab-case>.ts in its context's folder. ` +
          `Fix: move the task's handler module to contexts/orders/tasks/pack-item.ts and reference it as PackItem: () => import("./tasks/pack-item.js"), or rename the task after its module.`,
      ]);
    });

    it("rejects a task of a context that does not say which folder it is in", () => {
      expect(findIssues({ contexts: [withTasks(undefined, "ValidateOrder")], consumers: [] }).map(formatIssue)).toEqual([
        `${THIS_FILE}: task "orders.ValidateOrder": cannot be bundled: its context does not say which folder it is in, so the task's module cannot be found. ` +
          `Fix: add \`dir: __dirname\` to the defineContext({ ... }) of context "orders" in its context.ts; the task's module is then tasks/validate-order.ts beside it.`,
      ]);
    });

    it("rejects a folder without the context.ts its publisher is bundled from", () => {
      expect(findIssues({ contexts: [defineContext({ name: "orders", dir: __dirname, events: [] })], consumers: [] }).map(formatIssue)).toEqual([
        `${THIS_FILE}: context "orders": its publisher would be bundled from test/unit/model/context.ts, which does not exist. ` +
          `Fix: set \`dir\` to the folder of the context's context.ts (\`dir: __dirname\` there), which default-exports the context.`,
      ]);
    });

    it("leaves files alone when asked not to check them", () => {
      expect(findIssues({ contexts: [withTasks(undefined, "PackItem")], consumers: [] }, { checkFiles: false })).toEqual([]);
    });
  });
});

describe("workflow-starting consumers", () => {
  it("rejects starting the workflow of a context that is not in the topology", () => {
    const shipping = defineContext({ name: "shiping", events: [] });
    expect(problems({ contexts: [orders, defineContext({ name: "shipping", events: [] })], consumers: [consumer({ startWorkflow: shipping })] })).toEqual([
      `${THIS_FILE}: consumer "notify": starts the workflow of context "shiping", which is not in the topology. Fix: add the context to contexts/index.ts, or start a declared context's workflow (did you mean "shipping"?).`,
    ]);
  });

  it("accepts starting a declared context's workflow", () => {
    const Shipped = defineEvent({ name: "Shipped", schema: z.object({}) });
    const workflow = defineWorkflow({ StartAt: "Shipped", States: { Shipped: milestone(Shipped, { key: "$.id", end: true }) } });
    const shipping = defineContext({ name: "shipping", events: [Shipped], workflow });
    expect(problems({ contexts: [orders, shipping], consumers: [consumer({ startWorkflow: shipping })] })).toEqual([]);
  });
});

describe("workflow starts", () => {
  const A = defineEvent({ name: "Done", schema: z.object({}) });
  const flow = (name: string) =>
    defineContext({
      name,
      events: [A],
      tasks: {},
      workflow: defineWorkflow({ StartAt: "Done", States: { Done: milestone(A, { key: "$.id", end: true }) } }),
    });

  it("rejects starting a context that has no workflow", () => {
    const idle = defineContext({ name: "idle", events: [] });
    expect(problems({ contexts: [orders, idle], consumers: [consumer({ startWorkflow: idle })] })).toEqual([
      `${THIS_FILE}: consumer "notify": starts the workflow of context "idle", which has no workflow. Fix: give that context a workflow, or start another one.`,
    ]);
  });

  it("rejects workflow starts that lead back to themselves", () => {
    const a = flow("alpha");
    const b = flow("beta");
    const aStartsB = defineConsumer({ name: "a-starts-b", on: [a.events.Done], startWorkflow: b });
    const bStartsA = defineConsumer({ name: "b-starts-a", on: [b.events.Done], startWorkflow: a });
    expect(problems({ contexts: [a, b], consumers: [aStartsB, bStartsA] })).toEqual([
      `${THIS_FILE}: consumer "b-starts-a": starts workflows in a loop: alpha → (a-starts-b) beta → (b-starts-a) → alpha; every execution would start another, forever. Fix: start a workflow whose events do not lead back here, subscribe to other events, or say which events the started executions reach (reaches: [...]) when their input takes a path that does not.`,
    ]);
  });
});
