import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CommanderError } from "commander";
import * as z from "zod";
import { consumers } from "../../../consumers";
import * as contextExports from "../../../contexts";
import { billing, contexts, orders, shipping } from "../../../contexts";
import { parseArguments, renderCreated, renderRefusal } from "../../../commands/add-consumer";
import { writePlan } from "../../../platform/scaffold/file-plan";
import { registerConsumer } from "../../../platform/scaffold/index-files";
import { sampleFor } from "../../../platform/scaffold/sample-data";
import { type AddConsumerRequest, type ConsumerPlan, planConsumer, resolveEvent } from "../../../platform/scaffold/consumer-plan";
import { consumerSource, handlerSource, handlerTestSource, type ScaffoldSpec, valueLiteral } from "../../../platform/scaffold/consumer-code";
import { ScaffoldError, StalePlanError } from "../../../platform/scaffold/errors";
import * as model from "../../../platform/model";
import { closest, defineConsumer, defineContext, defineEvent } from "../../../platform/model";
import { topology } from "../../../topology";
import { examples } from "../consumers/deliveries";

const ROOT = path.resolve(__dirname, "../../..");
/** This repository as the planner loads it, from the modules jest already has. */
const repo = { model, topology, contextExports, examples };
const request = (name: string, on: string[], more: Partial<AddConsumerRequest> = {}): AddConsumerRequest => ({ name, on, settings: {}, ...more });
const problemsOf = (result: ReturnType<typeof planConsumer>) => (result.ok ? [] : result.problems);

describe("npm run add-consumer", () => {
  describe("arguments", () => {
    it("reads every option: comma lists and repeated --on, whole numbers (negative too), the starting position", () => {
      // Act
      const parsed = parseArguments([
        "order-watch",
        "--on",
        "orders.OrderPlaced, orders.OrderRejected",
        "--on",
        "shipping.ShipmentDispatched",
        "--start-workflow",
        "billing",
        "--batch-size",
        "50",
        "--window-seconds",
        "5",
        "--min-pollers",
        "2",
        "--max-pollers",
        "4",
        "--retries",
        "-1",
        "--max-record-age-seconds",
        "3600",
        "--starting-position",
        "LATEST",
        "--description",
        "Watches orders.",
        "--root",
        "/tmp/elsewhere",
        "--dry-run",
      ]);

      // Assess
      expect(parsed).toEqual({
        request: {
          name: "order-watch",
          on: ["orders.OrderPlaced", "orders.OrderRejected", "shipping.ShipmentDispatched"],
          startWorkflow: "billing",
          description: "Watches orders.",
          settings: { batchSize: 50, windowSeconds: 5, minPollers: 2, maxPollers: 4, retries: -1, maxRecordAgeSeconds: 3600, startingPosition: "LATEST" },
        },
        root: "/tmp/elsewhere",
        dryRun: true,
      });
    });

    it("leaves what is not given to the model's defaults, and writes into this repository", () => {
      expect(parseArguments(["order-watch", "--on", "orders.OrderPlaced"])).toEqual({
        request: { name: "order-watch", on: ["orders.OrderPlaced"], settings: {} },
        root: ROOT,
        dryRun: false,
      });
    });

    it.each([
      [["order-watch"], "commander.missingMandatoryOptionValue"],
      [["--on", "orders.OrderPlaced"], "commander.missingArgument"],
      [["order-watch", "--on", "orders.OrderPlaced", "--batch-size", "1.5"], "commander.invalidArgument"],
      [["order-watch", "--on", "orders.OrderPlaced", "--max-pollers", "many"], "commander.invalidArgument"],
      [["order-watch", "--on", "orders.OrderPlaced", "--starting-position", "NOW"], "commander.invalidArgument"],
    ])("refuses %j before anything is checked (%s)", (argv, code) => {
      let error: CommanderError | undefined;
      try {
        parseArguments(argv);
      } catch (thrown) {
        error = thrown as CommanderError;
      }
      expect(error?.code).toBe(code);
    });
  });

  describe("events named in --on", () => {
    it("resolves a declared type to the context's own event object", () => {
      expect(resolveEvent("shipping.LinePacked", contexts, closest)).toBe(shipping.events.LinePacked);
    });

    it("turns an undeclared <context>.<Event> into a stand-in the model reports, with the closest declared types", () => {
      // Act
      const standIn = resolveEvent("orders.OrderPlacd", contexts, closest);
      const result = planConsumer(ROOT, request("order-watch", ["orders.OrderPlacd"]), repo);

      // Assess
      expect(standIn).toMatchObject({ context: "orders", name: "OrderPlacd", type: "orders.OrderPlacd" });
      expect(problemsOf(result)).toEqual([
        'consumers/order-watch/consumer.ts: consumer "order-watch": subscribes to "orders.OrderPlacd", but context "orders" declares no event "OrderPlacd". ' +
          'Fix: add "OrderPlacd" to the events of context "orders", or subscribe to a declared event. Did you mean "orders.OrderPlaced" or "orders.OrderRejected" or "orders.OrderRefunded"?',
      ]);
    });

    it("says what is wrong with an entry that is not <context>.<Event>, and suggests the types it may mean", () => {
      expect(resolveEvent("InvoiceIssued", contexts, closest)).toEqual({
        problem: '--on "InvoiceIssued" is not an event type: write it as <context>.<Event> (or <context>.<Event>.v<N> for a later version).',
        fix: 'name the context and the event, e.g. "orders.OrderPlaced". Did you mean "billing.InvoiceIssued"?',
      });
    });
  });

  describe("checks, against the repository's own model", () => {
    it.each([
      ["a taken name", request("sales-ledger", ["orders.OrderPlaced"]), 'consumer "sales-ledger": is declared twice (first in consumers/sales-ledger/consumer.ts)'],
      ["an invalid name", request("Order_Watch", ["orders.OrderPlaced"]), 'consumer "Order_Watch": has an invalid name. Fix: name the consumer group in kebab-case'],
      ["a name too long for a function name", request("x".repeat(44), ["orders.OrderPlaced"]), "would be 65 characters with the longest stack name allowed (20 characters); the limit is 64."],
      ["a name that takes a publisher's function name", request("orders-publisher", ["billing.InvoiceIssued"]), 'is the same as that of context "orders".'],
      ["no events", request("order-watch", []), 'consumer "order-watch": subscribes to no events.'],
      ["an event twice", request("order-watch", ["orders.OrderPlaced", "orders.OrderPlaced"]), 'subscribes to "orders.OrderPlaced" twice.'],
      [
        "an unknown workflow",
        request("order-watch", ["orders.OrderPlaced"], { startWorkflow: "shiping" }),
        'starts the workflow of context "shiping", which is not in the topology. Fix: add the context to contexts/index.ts, or start a declared context\'s workflow (did you mean "shipping"?).',
      ],
      [
        "a workflow started from its own events",
        request("order-again", ["orders.OrderPlaced"], { startWorkflow: "orders" }),
        "would start workflows in a loop: orders → orders (order-again); every execution would end up starting another, forever.",
      ],
      [
        "a workflow that leads back to its trigger",
        request("order-loop", ["billing.InvoiceIssued"], { startWorkflow: "orders" }),
        "would start workflows in a loop: orders → billing (start-billing) → orders (order-loop);",
      ],
      ["batch size 0", request("order-watch", ["orders.OrderPlaced"], { settings: { batchSize: 0 } }), "batch.size is 0; it must be a whole number from 1 to 10000."],
      ["a window of 301 s", request("order-watch", ["orders.OrderPlaced"], { settings: { windowSeconds: 301 } }), "batch.windowSeconds is 301; it must be a whole number from 0 to 300."],
      ["max pollers 2001", request("order-watch", ["orders.OrderPlaced"], { settings: { maxPollers: 2001 } }), "scaling.maxPollers is 2001; it must be a whole number from 1 to 2000."],
      ["min pollers 201", request("order-watch", ["orders.OrderPlaced"], { settings: { minPollers: 201, maxPollers: 300 } }), "scaling.minPollers is 201; it must be a whole number from 1 to 200."],
      [
        "min pollers above max",
        request("order-watch", ["orders.OrderPlaced"], { settings: { minPollers: 3 } }),
        "scaling.minPollers (3) is greater than scaling.maxPollers (2). Fix: raise scaling.maxPollers to at least 3, or lower scaling.minPollers.",
      ],
      ["retries -2", request("order-watch", ["orders.OrderPlaced"], { settings: { retries: -2 } }), "retries is -2; it must be a whole number from -1 to 10000."],
      [
        "a record age of 30 s",
        request("order-watch", ["orders.OrderPlaced"], { settings: { maxRecordAgeSeconds: 30 } }),
        "maxRecordAgeSeconds is 30; it must be -1 (no limit) or a whole number from 60 to 604800.",
      ],
    ])("refuses %s", (_, given, message) => {
      // Act
      const result = planConsumer(ROOT, given, repo);

      // Assess
      expect(result.ok).toBe(false);
      expect(problemsOf(result).join("\n")).toContain(message);
    });

    it("gives each range problem in exactly the model's words, with the file the group would live in", () => {
      // Act
      const result = planConsumer(ROOT, request("order-watch", ["orders.OrderPlaced"], { settings: { batchSize: 0, maxPollers: 2001 } }), repo);

      // Assess
      expect(problemsOf(result)).toEqual([
        'consumers/order-watch/consumer.ts: consumer "order-watch": batch.size is 0; it must be a whole number from 1 to 10000. Fix: set batch.size between 1 and 10000 (the range Lambda accepts for Amazon MSK event source mappings).',
        'consumers/order-watch/consumer.ts: consumer "order-watch": scaling.maxPollers is 2001; it must be a whole number from 1 to 2000. Fix: set scaling.maxPollers between 1 and 2000 (the range Lambda accepts for Amazon MSK event source mappings).',
      ]);
    });

    it("refuses to start a context that has no workflow, or to import a context contexts/index.ts does not export", () => {
      // Prepare: a context without a workflow, declared in the topology but not exported by name
      const StockCounted = defineEvent({ name: "StockCounted", schema: z.object({ sku: z.string() }) });
      const inventory = defineContext({ name: "inventory", events: [StockCounted] });
      const withInventory = { ...repo, topology: { contexts: [...contexts, inventory], consumers } };

      // Act
      const result = planConsumer(ROOT, request("restock", ["inventory.StockCounted"], { startWorkflow: "inventory" }), withInventory);

      // Assess
      expect(problemsOf(result)).toEqual([
        `consumers/restock/consumer.ts: consumer "restock": starts the workflow of context "inventory", which has no workflow. Fix: start a context that has one (${contexts.map((c) => c.name).join(", ")}), or leave out --start-workflow.`,
        'contexts/index.ts: context "inventory": is not exported by name from contexts/index.ts, so the new consumer.ts cannot import it. Fix: add it to the `export { ... }` list of contexts/index.ts.',
      ]);
    });

    it("marks the problems the topology had before the group", () => {
      // Prepare
      const broken = { ...defineConsumer({ name: "broken", on: [orders.events.OrderPlaced], batch: { size: 0 } }), definedIn: "consumers/broken/consumer.ts", handler: "../sales-ledger/handler.ts" };
      const result = planConsumer(ROOT, request("order-watch", ["orders.OrderPlaced"]), { ...repo, topology: { contexts, consumers: [...consumers, broken] } });

      // Act
      const lines = result.ok ? [] : renderRefusal("order-watch", result);

      // Assess
      expect(lines).toEqual([
        'Not adding consumer group "order-watch" (1 problem); nothing was written.',
        '  - (already in the topology) consumers/broken/consumer.ts: consumer "broken": batch.size is 0; it must be a whole number from 1 to 10000. Fix: set batch.size between 1 and 10000 (the range Lambda accepts for Amazon MSK event source mappings).',
      ]);
    });

    it("plans the three new files and the index change, writing nothing", () => {
      // Act
      const result = planConsumer(ROOT, request("order-watch", ["orders.OrderPlaced", "shipping.ShipmentDispatched"], { settings: { batchSize: 50 } }), repo);

      // Assess
      if (!result.ok) throw new Error(result.problems.join("\n"));
      expect(result.plan.created.map((f) => f.path)).toEqual(["consumers/order-watch/consumer.ts", "consumers/order-watch/handler.ts", "test/unit/consumers/order-watch.test.ts"]);
      expect(result.plan.changed.map((f) => f.path)).toEqual(["consumers/index.ts"]);
      expect(result.plan.identifier).toBe("orderWatch");
      expect(result.plan.spec.events.map((e) => [e.type, "expression" in e.sample ? e.sample.expression : "literal", e.key, e.state])).toEqual([
        ["orders.OrderPlaced", "examples.placed", "o-1", "Placed"],
        ["shipping.ShipmentDispatched", "examples.dispatched", "shp-o-1", "Dispatched"],
      ]);
      expect(fs.existsSync(path.join(ROOT, "consumers/order-watch"))).toBe(false);
      const derived = { catalog: [{ path: "catalog/topology.md", text: "" }], lock: { path: "schemas.lock.json", text: "{}\n" }, lockProblem: undefined, subscribers: {} };
      expect(renderCreated(result.plan, derived, ROOT).slice(0, 9)).toEqual([
        'Added consumer group "order-watch" (orders.OrderPlaced, shipping.ShipmentDispatched).',
        "",
        "  created  consumers/order-watch/consumer.ts",
        "  created  consumers/order-watch/handler.ts",
        "  created  test/unit/consumers/order-watch.test.ts",
        "  changed  consumers/index.ts  (imports orderWatch and adds it to consumers)",
        "  updated  catalog/topology.md  (what npm run catalog writes)",
        "  updated  schemas.lock.json  (what npm run validate writes: order-watch as a reader of its 2 events)",
        "",
      ]);
    });
  });

  describe("example data for the generated test", () => {
    it("takes the tests' example the schema accepts, calling the ones that take an index", () => {
      expect(sampleFor(orders.events.OrderRejected, examples)).toEqual({ expression: "examples.rejected", value: examples.rejected });
      expect(sampleFor(shipping.events.LinePacked, examples)).toEqual({ expression: "examples.packed(0)", value: examples.packed(0) });
    });

    it("builds data from the schema when no example fits, and says when the schema still refuses it", () => {
      // Prepare
      const Counted = defineEvent({
        name: "Counted",
        schema: z.object({
          skuId: z.string().min(1),
          count: z.number().int().positive(),
          kind: z.enum(["cycle", "full"]),
          at: z.iso.datetime(),
          bins: z.array(z.string().length(3)).min(2),
          ratio: z.number().gt(0.5).lte(1),
          note: z.string().optional(),
        }),
      });
      const counted = defineContext({ name: "stock", events: [Counted] }).events.Counted;

      // Act
      const built = sampleFor(counted, examples);
      const refused = sampleFor(billing.events.InvoiceIssued, {});

      // Assess
      expect(built).toEqual({ literal: { skuId: "sku-1", count: 1, kind: "cycle", at: "2025-01-01T00:00:00.000Z", bins: ["bin", "bin"], ratio: 1 } });
      expect(refused).toMatchObject({ problem: expect.stringContaining("invoiceNumber") });
    });
  });

  describe("generated code", () => {
    const watch: ScaffoldSpec = {
      name: "order-watch",
      description: "Watches each order from placement to dispatch.",
      events: [
        {
          type: "orders.OrderPlaced",
          context: "orders",
          contextExport: "orders",
          name: "OrderPlaced",
          version: 1,
          fields: ["orderId", "customerId", "lines", "totalCents", "currency"],
          entityField: "orderId",
          sample: { expression: "examples.placed", value: examples.placed },
          inputIsSample: true,
          key: "o-1",
          state: "Placed",
          mapIndex: undefined,
        },
        {
          type: "shipping.ShipmentDispatched",
          context: "shipping",
          contextExport: "shipping",
          name: "ShipmentDispatched",
          version: 1,
          fields: ["shipmentId", "orderId"],
          entityField: "shipmentId",
          sample: { expression: "examples.dispatched", value: examples.dispatched },
          inputIsSample: true,
          key: "shp-o-1",
          state: "Dispatched",
          mapIndex: undefined,
        },
        {
          type: "orders.OrderRejected",
          context: "orders",
          contextExport: "orders",
          name: "OrderRejected",
          version: 1,
          fields: ["orderId", "customerId", "reason"],
          entityField: "orderId",
          sample: { expression: "examples.rejected", value: examples.rejected },
          inputIsSample: true,
          key: "o-2",
          state: "Rejected",
          mapIndex: undefined,
        },
      ],
      settings: { batchSize: 50, maxPollers: 4, maxRecordAgeSeconds: 604_800, startingPosition: "LATEST" },
    };

    it("names a later version of an event by its key in the context's events, and its milestone variable apart from v1's", () => {
      // Prepare: the group reads OrderPlaced v1 and v2 side by side
      const v2 = { ...watch.events[0]!, type: "orders.OrderPlaced.v2", version: 2 };
      const both: ScaffoldSpec = { ...watch, events: [watch.events[0]!, v2] };

      // Act
      const consumer = consumerSource(both);
      const test = handlerTestSource(both);

      // Assess
      expect(consumer).toContain('  on: [orders.events.OrderPlaced, orders.events["OrderPlaced.v2"]],');
      expect(test).toContain('event: orders.events["OrderPlaced.v2"],');
      expect(test).toMatch(/const orderPlacedV2 = /);
      expect(test).toMatch(/const orderPlaced = /);
    });

    it("writes a group that handles its events: consumer.ts, handler.ts and its test", () => {
      expect(consumerSource(watch)).toBe(
        [
          'import { orders, shipping } from "../../contexts";',
          'import { defineConsumer, StartingPosition } from "../../platform/model";',
          "",
          "export default defineConsumer({",
          '  name: "order-watch",',
          '  description: "Watches each order from placement to dispatch.",',
          "  on: [orders.events.OrderPlaced, shipping.events.ShipmentDispatched, orders.events.OrderRejected],",
          "  batch: { size: 50 },",
          "  scaling: { maxPollers: 4 },",
          "  maxRecordAgeSeconds: 604_800,",
          "  startingPosition: StartingPosition.Latest,",
          "});",
          "",
        ].join("\n"),
      );
      expect(handlerSource(watch)).toContain(
        [
          "export const handler = consume(consumer, async (event, { logger }) => {",
          "  switch (event.type) {",
          '    case "orders.OrderPlaced":',
          '      if (handled.record(event, event.data.orderId)) logger.info("order placed", { orderId: event.data.orderId });',
          "      break;",
          '    case "shipping.ShipmentDispatched":',
          '      if (handled.record(event, event.data.shipmentId)) logger.info("shipment dispatched", { shipmentId: event.data.shipmentId });',
          "      break;",
          '    case "orders.OrderRejected":',
          '      if (handled.record(event, event.data.orderId)) logger.info("order rejected", { orderId: event.data.orderId });',
          "      break;",
          "  }",
          "});",
          "",
        ].join("\n"),
      );
      // Delivered grouped by context, which is also the order the handler sees them in.
      expect(handlerTestSource(watch)).toBe(
        [
          'import { orders, shipping } from "../../../contexts";',
          'import { handled, handler } from "../../../consumers/order-watch/handler";',
          'import { delivery, examples, idOf } from "./deliveries";',
          "",
          'describe("order-watch", () => {',
          '  it("handles each event it subscribes to once, however often it is delivered", async () => {',
          "    // Prepare: one event of each subscribed type, as its milestone publishes it",
          '    const orderPlaced = { event: orders.events.OrderPlaced, key: "o-1", data: examples.placed, state: "Placed" };',
          '    const orderRejected = { event: orders.events.OrderRejected, key: "o-2", data: examples.rejected, state: "Rejected" };',
          '    const shipmentDispatched = { event: shipping.events.ShipmentDispatched, key: "shp-o-1", data: examples.dispatched, state: "Dispatched" };',
          "",
          "    // Act: the batch is delivered twice, as Kafka may",
          "    const first = await handler(delivery([orderPlaced, orderRejected, shipmentDispatched]));",
          "    const again = await handler(delivery([orderPlaced, orderRejected, shipmentDispatched]));",
          "",
          "    // Assess",
          "    expect(first.batchItemFailures).toEqual([]);",
          "    expect(again.batchItemFailures).toEqual([]);",
          "    expect(handled.all).toEqual([",
          '      { eventId: idOf(orderPlaced), type: "orders.OrderPlaced", entity: "o-1" },',
          '      { eventId: idOf(orderRejected), type: "orders.OrderRejected", entity: "o-2" },',
          '      { eventId: idOf(shipmentDispatched), type: "shipping.ShipmentDispatched", entity: "shp-o-1" },',
          "    ]);",
          "  });",
          "});",
          "",
        ].join("\n"),
      );
    });

    it("writes a workflow-starting group: the input passes the data on, the test expects one start per event", () => {
      // Prepare: an example with more fields than the input keeps, and data built from a schema, inside a Map
      const restock: ScaffoldSpec = {
        name: "restock",
        description: "Starts the inventory workflow for every packed line and stock count.",
        events: [
          { ...watch.events[0]!, type: "shipping.LinePacked", context: "shipping", contextExport: "shipping", name: "LinePacked", fields: ["sku", "quantity"], sample: { expression: "examples.packed(0)", value: examples.packed(0) }, inputIsSample: false, key: "shp-o-1", state: "Packed", mapIndex: 0 },
          { ...watch.events[0]!, type: "warehouse-stock.StockCounted", context: "warehouse-stock", contextExport: "warehouseStock", name: "StockCounted", fields: ["sku", "class"], entityField: "sku", sample: { literal: { sku: "sku", class: "a" } }, key: "sku", state: "Counted" },
        ],
        startWorkflow: { context: "inventory", contextExport: "inventory" },
        settings: { minPollers: 1, maxPollers: 2_000 },
      };

      // Assess
      expect(consumerSource(restock)).toContain('import { inventory, shipping, warehouseStock } from "../../contexts";\n');
      expect(consumerSource(restock)).toContain("  startWorkflow: inventory,\n  scaling: { minPollers: 1, maxPollers: 2_000 },\n});\n");
      expect(handlerSource(restock)).toBe(
        [
          'import type { ConsumedEvent } from "../../platform/model";',
          'import { startsWorkflow } from "../../platform/runtime";',
          'import consumer from "./consumer";',
          "",
          "/** The inventory workflow's input for an event: the event's data, field by field. Keep what the workflow needs. */",
          "export function inventoryInputFor(event: ConsumedEvent<typeof consumer>) {",
          "  switch (event.type) {",
          '    case "shipping.LinePacked": {',
          "      const { sku, quantity } = event.data;",
          "      return { sku, quantity };",
          "    }",
          // `class` cannot be destructured into a variable
          '    case "warehouse-stock.StockCounted":',
          "      return { ...event.data };",
          "  }",
          "}",
          "",
          "/** One inventory execution per event, named after the event id: a redelivery starts nothing. */",
          "export const handler = startsWorkflow(consumer, { input: inventoryInputFor });",
          "",
        ].join("\n"),
      );
      expect(handlerTestSource(restock)).toContain(
        [
          '    const linePacked = { event: shipping.events.LinePacked, key: "shp-o-1", data: examples.packed(0), state: "Packed", mapIndex: 0 };',
          '    const stockCounted = { event: warehouseStock.events.StockCounted, key: "sku", data: { sku: "sku", class: "a" }, state: "Counted" };',
          "",
          "    // Act: the batch is delivered twice, as Kafka may",
          "    const first = await handler(delivery([linePacked, stockCounted]));",
          "    const again = await handler(delivery([linePacked, stockCounted]));",
          "",
          "    // Assess",
          "    expect(first.batchItemFailures).toEqual([]);",
          "    expect(again.batchItemFailures).toEqual([]);",
          "    expect(starter.started).toEqual([",
          "      {",
          '        stateMachine: "inventory",',
          '        name: executionName("restock", idOf(linePacked)),',
          '        input: inventoryInputFor({ type: "shipping.LinePacked", data: examples.packed(0) }),',
          "        eventId: idOf(linePacked),",
          '        eventType: "shipping.LinePacked",',
          '        group: "restock",',
          "      },",
          "      {",
          '        stateMachine: "inventory",',
          '        name: executionName("restock", idOf(stockCounted)),',
          "        input: stockCounted.data,",
          "        eventId: idOf(stockCounted),",
          '        eventType: "warehouse-stock.StockCounted",',
          '        group: "restock",',
          "      },",
          "    ]);",
        ].join("\n"),
      );
      expect(handlerTestSource(restock)).toContain("beforeAll(() => {\n  restore = useWorkflowStarter(starter);\n});\nafterAll(() => restore());\n");
    });

    it("writes values inline while they fit, else one property per line", () => {
      expect(valueLiteral({ a: 1, "b-c": [true, null], d: "x" })).toBe('{ a: 1, "b-c": [true, null], d: "x" }');
      expect(valueLiteral({ text: "y".repeat(150), n: 12_345 }, 4, "    ")).toBe(`{\n      text: "${"y".repeat(150)}",\n      n: 12_345,\n    }`);
    });
  });

  describe("registration in consumers/index.ts", () => {
    const index = [
      'import analytics from "./analytics/consumer";',
      'import salesLedger from "./sales-ledger/consumer";',
      "",
      "/** Every consumer group. */",
      "export const consumers = [salesLedger, analytics] as const;",
      "",
    ].join("\n");

    it("imports the group in path order and lists it last", () => {
      expect(registerConsumer(index, "order-watch")).toEqual({
        identifier: "orderWatch",
        text: [
          'import analytics from "./analytics/consumer";',
          'import orderWatch from "./order-watch/consumer";',
          'import salesLedger from "./sales-ledger/consumer";',
          "",
          "/** Every consumer group. */",
          "export const consumers = [salesLedger, analytics, orderWatch] as const;",
          "",
        ].join("\n"),
      });
    });

    it("breaks the list into lines once it would be too long, and keeps a broken list broken", () => {
      // Act
      const long = registerConsumer(index, `a-${"very-".repeat(25)}long-name`);
      const again = registerConsumer(long.text, "zed");

      // Assess
      expect(long.text).toContain(`export const consumers = [\n  salesLedger,\n  analytics,\n  ${long.identifier},\n] as const;\n`);
      expect(again.text).toContain(`  ${long.identifier},\n  zed,\n] as const;\n`);
      expect(again.text.split("\n").filter((line) => line.startsWith("import")).at(-1)).toBe('import zed from "./zed/consumer";');
    });

    it("never imports a group under a reserved word or a name already used", () => {
      expect(registerConsumer(index, "new").identifier).toBe("newConsumer");
      expect(registerConsumer(index, "analytics-x").identifier).toBe("analyticsX");
      expect(registerConsumer(index.replace("salesLedger", "analyticsX").replace("salesLedger", "analyticsX"), "analytics-x").identifier).toBe("analyticsXConsumer");
    });

    it.each([
      ["no consumers list", index.replace("export const consumers", "export const groups"), "it has no `export const consumers = [...] as const;` list"],
      ["a spread in the list", index.replace("[salesLedger, analytics]", "[salesLedger, ...others]"), "its consumers list holds `...others`"],
      ["a listed name nothing imports", index.replace("[salesLedger, analytics]", "[salesLedger, analytics, audit]"), "its consumers list names `audit`"],
    ])("refuses a file with %s", (_, text, message) => {
      expect(() => registerConsumer(text, "order-watch")).toThrow(message);
    });
  });

  describe("writing", () => {
    let root: string;
    const plan = (created: { path: string; text: string }[], before: string): ConsumerPlan => ({
      root,
      spec: { name: "g", description: "", events: [], settings: {} },
      created,
      changed: [{ path: "consumers/index.ts", text: "after\n", before }],
      identifier: "g",
      notes: [],
    });

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "add-consumer-unit-"));
      fs.mkdirSync(path.join(root, "consumers"));
      fs.writeFileSync(path.join(root, "consumers/index.ts"), "before\n");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("writes the new files and the changed one", () => {
      // Act
      writePlan(plan([{ path: "consumers/g/consumer.ts", text: "c\n" }], "before\n"));

      // Assess
      expect(fs.readFileSync(path.join(root, "consumers/g/consumer.ts"), "utf8")).toBe("c\n");
      expect(fs.readFileSync(path.join(root, "consumers/index.ts"), "utf8")).toBe("after\n");
    });

    it("takes back what it wrote when a write fails: never over an existing file", () => {
      // Prepare
      fs.mkdirSync(path.join(root, "test"));
      fs.writeFileSync(path.join(root, "test/g.test.ts"), "someone's\n");

      // Act
      const act = () =>
        writePlan(
          plan(
            [
              { path: "consumers/g/consumer.ts", text: "c\n" },
              { path: "test/g.test.ts", text: "t\n" },
            ],
            "before\n",
          ),
        );

      // Assess
      expect(act).toThrow("EEXIST");
      expect(fs.existsSync(path.join(root, "consumers/g"))).toBe(false);
      expect(fs.readFileSync(path.join(root, "test/g.test.ts"), "utf8")).toBe("someone's\n");
      expect(fs.readFileSync(path.join(root, "consumers/index.ts"), "utf8")).toBe("before\n");
    });

    it("writes nothing when the index changed since it was planned", () => {
      let thrown: unknown;
      try {
        writePlan(plan([{ path: "consumers/g/consumer.ts", text: "c\n" }], "what it was\n"));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StalePlanError);
      expect(thrown).toBeInstanceOf(ScaffoldError);
      expect(thrown).toMatchObject({ name: "StalePlanError", message: "consumers/index.ts changed while this was being planned; run the command again." });
      expect(fs.readdirSync(path.join(root, "consumers"))).toEqual(["index.ts"]);
    });
  });
});
