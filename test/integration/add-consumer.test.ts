import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BIN, checksIn, copyRepository, differences, type Resource, RESOURCES_CHECK, ROOT, run, snapshot } from "../support/repository-copy";

/**
 * `npm run add-consumer` for real: the CLI writes into a copy of the repository (its tracked
 * sources, node_modules linked), and the copy is then typechecked, validated, tested, run under
 * Pulumi's mocks and in the local runtime on the broker of this test run. Every step is a child
 * process bounded in time; none waits on a timer.
 */

// Scripts run in the copy (working directory = the copy), loading its modules; each writes its result as JSON to RESULT_FILE.
const CHECKS: Record<string, string> = {
  validate: `
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const load = createRequire(path.join(process.cwd(), "package.json"));
const { formatIssue, TopologyError, validate } = load("./platform/model");
const { topology } = load("./topology");
let result: unknown;
try {
  const valid = validate(topology);
  for (const stack of ["dev", "prod"]) validate(topology, { stack });
  result = { ok: true, consumers: valid.consumers.map((c: any) => ({ name: c.name, on: c.on.map((e: any) => e.type), startWorkflow: c.startWorkflow?.name ?? null })) };
} catch (error) {
  if (!(error instanceof TopologyError)) throw error;
  result = { ok: false, issues: (error as any).issues.map(formatIssue) };
}
fs.writeFileSync(process.env.RESULT_FILE!, JSON.stringify(result));
`,
  resources: RESOURCES_CHECK,
  // The whole topology in the local runtime on a stack of its own; 10 demo orders; per group named in argv: published, received, started.
  runtime: `
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const load = createRequire(path.join(process.cwd(), "package.json"));
const { Kafka, logLevel } = load("kafkajs");
const { validate } = load("./platform/model");
const { topology } = load("./topology");
const { LocalRuntime } = load("./platform/local/runtime");
const { runDemo } = load("./platform/local/demo");
const { demoScenario } = load("./contexts/orders/demo");
const { executionName } = load("./platform/runtime");

type Published = { eventId: string; type: string };
const countByType = (events: Published[]) => events.reduce<Record<string, number>>((counts, e) => ({ ...counts, [e.type]: (counts[e.type] ?? 0) + 1 }), {});

async function main() {
  const stack = \`ac-\${randomUUID().slice(0, 6)}\`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: stack, brokers, logLevel: logLevel.NOTHING });
  // LATEST: the broker may hold other runs' orders events, which this stack's new groups would replay.
  const runtime = new LocalRuntime({ topology: validate(topology, { stack }), stack, kafka, brokers, startingPosition: "LATEST" });
  await runtime.start();
  try {
    // A second group starting shipping (express-shipping) doubles what shipping publishes; billing,
    // started once per placed order, invoices when the first of the order's dispatches arrives.
    const scenario = demoScenario(10, stack);
    const shippingStarters = topology.consumers.filter((c: { startWorkflow?: { name: string }; on: { type: string }[] }) => c.startWorkflow?.name === "shipping" && c.on.some((e) => e.type === "orders.OrderPlaced")).length;
    const milestones = Object.fromEntries(Object.entries(scenario.milestones as Record<string, number>).map(([type, n]) => [type, type.startsWith("shipping.") ? n * shippingStarters : n]));
    // Each order's own events are doubled in shipping too: checked above in total, not per order.
    const executions = scenario.executions.map(({ events, ...execution }: { events: unknown }) => execution);
    const result = await runDemo(runtime, { ...scenario, milestones, executions }, { rate: 20, timeoutMs: 90_000 });
    const started = new Set(runtime.executions.map((e: { name: string }) => e.name));
    const groups = Object.fromEntries(
      process.argv.slice(2).map((name) => {
        const subscribed: Set<string> = runtime.subscriptions.get(name);
        const delivered: Map<string, string> = runtime.groups.get(name).delivered;
        const published = (runtime.published as Published[]).filter((e) => subscribed.has(e.type));
        return [
          name,
          {
            published: countByType(published),
            received: countByType(published.filter((e) => delivered.has(e.eventId))),
            started: countByType(published.filter((e) => started.has(executionName(name, e.eventId)))),
          },
        ];
      }),
    );
    fs.writeFileSync(process.env.RESULT_FILE!, JSON.stringify({ ok: result.ok, problems: result.problems, groups }));
  } finally {
    await runtime.stop();
  }
}

main().then(() => process.exit(0), (error) => (console.error(error), process.exit(1)));
`,
};

describe("npm run add-consumer, for real in a copy of the repository", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-add-consumer-"));
  const repo = path.join(work, "repo");
  let pristine: Map<string, string>;
  let resourcesBefore: Resource[];
  /** Runs a check script in the copy and returns what it wrote. */
  const check = checksIn(work, repo, CHECKS);

  /** This repository's CLI, run in the copy and told to write there. */
  const addConsumer = (args: readonly string[]) => run(path.join(BIN, "tsx"), [path.join(ROOT, "commands/add-consumer.ts"), ...args, "--root", repo], repo, 30_000);

  beforeAll(async () => {
    copyRepository(repo);
    // The program as it is before any group is added, recorded in the copy itself: its bundles'
    // source maps name node_modules through the link, so only a run in the copy compares like with like.
    resourcesBefore = await check<Resource[]>("resources", [], 120_000);
    pristine = snapshot(repo);
  }, 150_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  describe("refuses, with the model's message, and writes nothing", () => {
    it.each([
      ["a name that exists", ["sales-ledger", "--on", "orders.OrderPlaced"], ['consumer "sales-ledger": is declared twice (first in ']],
      [
        "an invalid name",
        ["Order_Watch", "--on", "orders.OrderPlaced"],
        ['consumer "Order_Watch": has an invalid name. Fix: name the consumer group in kebab-case', '(e.g. "order-watch")'],
      ],
      [
        "an event no context declares",
        ["order-watch", "--on", "orders.OrderPlacd"],
        ['subscribes to "orders.OrderPlacd", but context "orders" declares no event "OrderPlacd".', 'Did you mean "orders.OrderPlaced"'],
      ],
      [
        "an event of a context that does not exist",
        ["order-watch", "--on", "shiping.ShipmentDispatched"],
        ['subscribes to "shiping.ShipmentDispatched", but no context named "shiping" is in the topology.', 'Did you mean "shipping.ShipmentDispatched"'],
      ],
      [
        "an event type without its context",
        ["order-watch", "--on", "OrderRejected"],
        ['--on "OrderRejected" is not an event type: write it as <context>.<Event> (or <context>.<Event>.v<N> for a later version).', 'Did you mean "orders.OrderRejected"'],
      ],
      [
        "an unknown context for --start-workflow",
        ["order-watch", "--on", "orders.OrderPlaced", "--start-workflow", "shiping"],
        ['starts the workflow of context "shiping", which is not in the topology.', '(did you mean "shipping"?)'],
      ],
      ["batch size 0", ["order-watch", "--on", "orders.OrderPlaced", "--batch-size", "0"], ["batch.size is 0; it must be a whole number from 1 to 10000."]],
      ["max pollers 2001", ["order-watch", "--on", "orders.OrderPlaced", "--max-pollers", "2001"], ["scaling.maxPollers is 2001; it must be a whole number from 1 to 2000."]],
      [
        "min pollers above max pollers",
        ["order-watch", "--on", "orders.OrderPlaced", "--min-pollers", "5", "--max-pollers", "3"],
        ["scaling.minPollers (5) is greater than scaling.maxPollers (3)."],
      ],
      [
        "a workflow that would start itself in a loop",
        ["order-loop", "--on", "billing.InvoiceIssued", "--start-workflow", "orders"],
        ["would start workflows in a loop: orders → billing (start-billing) → orders (order-loop)"],
      ],
      ["a batch size that is not a whole number", ["order-watch", "--on", "orders.OrderPlaced", "--batch-size", "1.5"], ["argument '1.5' is invalid. expected a whole number."]],
    ])("%s", async (_, args, messages) => {
      // Act
      const result = await addConsumer(args);

      // Assess
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: "" });
      for (const message of messages) expect(result.stderr).toContain(message);
      expect(differences(pristine, snapshot(repo))).toEqual({ added: [], removed: [], changed: [] });
    });
  });

  it("--dry-run prints every file it would write, and writes none", async () => {
    // Act
    const result = await addConsumer(["order-watch", "--on", "orders.OrderPlaced", "--dry-run"]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--- would create consumers/order-watch/consumer.ts\n");
    expect(result.stdout).toContain("--- would create test/unit/consumers/order-watch.test.ts\n");
    expect(result.stdout).toContain('+ import orderWatch from "./order-watch/consumer";');
    expect(result.stdout).toContain('--- would regenerate catalog/ (asyncapi.yaml, topology.md, index.html) with group "order-watch" in it\n');
    expect(result.stdout).toContain('--- would record "order-watch" as a reader of orders.OrderPlaced in schemas.lock.json, as npm run validate does\n');
    expect(differences(pristine, snapshot(repo))).toEqual({ added: [], removed: [], changed: [] });
  });

  it("scaffolds a group that handles events and one that starts a workflow, brings the catalog and the schema lock up to date, and says what it wrote and what comes next", async () => {
    // Act
    const watch = await addConsumer([
      "order-watch",
      "--on",
      "orders.OrderPlaced,orders.OrderRejected",
      "--on",
      "shipping.ShipmentDispatched",
      "--batch-size",
      "50",
      "--max-pollers",
      "4",
      "--description",
      "Watches each order from placement to dispatch.",
    ]);
    const express = await addConsumer(["express-shipping", "--on", "orders.OrderPlaced", "--start-workflow", "shipping"]);

    // Assess: what it says
    expect({ code: watch.code, stderr: watch.stderr }).toEqual({ code: 0, stderr: "" });
    expect({ code: express.code, stderr: express.stderr }).toEqual({ code: 0, stderr: "" });
    expect(watch.stdout.split("\n").filter((line) => /^ {2}(created|changed|updated) /.test(line))).toEqual([
      "  created  consumers/order-watch/consumer.ts",
      "  created  consumers/order-watch/handler.ts",
      "  created  test/unit/consumers/order-watch.test.ts",
      "  changed  consumers/index.ts  (imports orderWatch and adds it to consumers)",
      "  updated  catalog/asyncapi.yaml, catalog/topology.md, catalog/index.html  (what npm run catalog writes)",
      "  updated  schemas.lock.json  (what npm run validate writes: order-watch as a reader of its 3 events)",
    ]);
    expect(express.stdout).toContain("  updated  schemas.lock.json  (what npm run validate writes: express-shipping as a reader of orders.OrderPlaced)\n");
    for (const step of ["npm test", "npm start", "pulumi preview"]) expect(watch.stdout).toMatch(new RegExp(`^  \\d\\. ${step} `, "m"));
    expect(express.stdout).toContain('Added consumer group "express-shipping" (orders.OrderPlaced; starts the shipping workflow).');

    // Assess: what it wrote, and nothing else
    expect(differences(pristine, snapshot(repo))).toEqual({
      added: [
        "consumers/express-shipping/",
        "consumers/express-shipping/consumer.ts",
        "consumers/express-shipping/handler.ts",
        "consumers/order-watch/",
        "consumers/order-watch/consumer.ts",
        "consumers/order-watch/handler.ts",
        "test/unit/consumers/express-shipping.test.ts",
        "test/unit/consumers/order-watch.test.ts",
      ],
      removed: [],
      changed: ["catalog/asyncapi.yaml", "catalog/index.html", "catalog/topology.md", "consumers/index.ts", "schemas.lock.json"],
    });
    const index = fs.readFileSync(path.join(repo, "consumers/index.ts"), "utf8");
    expect(index).toContain('import expressShipping from "./express-shipping/consumer";\nimport notifyCustomer from "./notify-customer/consumer";\nimport orderWatch from "./order-watch/consumer";\n');
    expect(index).toMatch(/export const consumers = \[[^\]]*recallShipment,\s*orderWatch,\s*expressShipping,?\s*\] as const;/);
    expect(fs.readFileSync(path.join(repo, "consumers/order-watch/consumer.ts"), "utf8")).toContain(
      [
        `  description: "Watches each order from placement to dispatch.",`,
        `  on: [orders.events.OrderPlaced, orders.events.OrderRejected, shipping.events.ShipmentDispatched],`,
        `  batch: { size: 50 },`,
        `  scaling: { maxPollers: 4 },`,
      ].join("\n"),
    );
  });

  it("leaves catalog/ and schemas.lock.json current: the catalog's and the schema gate's --check (CI's) pass in the copy", async () => {
    // Act
    const [validate, catalog] = await Promise.all([
      run(path.join(BIN, "tsx"), ["commands/validate.ts", "--check"], repo, 60_000),
      run(path.join(BIN, "tsx"), ["commands/catalog.ts", "--check"], repo, 60_000),
    ]);

    // Assess
    expect({ code: validate.code, stderr: validate.stderr }).toEqual({ code: 0, stderr: "" });
    expect(validate.stdout).toContain("Schema gate: 9 events match schemas.lock.json.");
    expect({ code: catalog.code, stderr: catalog.stderr }).toEqual({ code: 0, stderr: "" });
  });

  it("leaves a project that typechecks: tsc -p . passes in the copy", async () => {
    // Act
    const result = await run(path.join(BIN, "tsc"), ["-p", "."], repo, 180_000);

    // Assess
    expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({ code: 0, output: "" });
  }, 200_000);

  it("leaves a topology that validates, for any stack, with the new groups in it", async () => {
    // Act
    const result = await check<{ ok: boolean; issues?: string[]; consumers?: { name: string; on: string[]; startWorkflow: string | null }[] }>("validate", [], 60_000);

    // Assess
    expect(result.issues).toBeUndefined();
    expect(result.ok).toBe(true);
    // The platform's correlators and invariants checker come after the declared groups.
    expect(result.consumers!.filter((c) => !c.name.endsWith("-correlator") && c.name !== "invariants").slice(-2)).toEqual([
      { name: "order-watch", on: ["orders.OrderPlaced", "orders.OrderRejected", "shipping.ShipmentDispatched"], startWorkflow: null },
      { name: "express-shipping", on: ["orders.OrderPlaced"], startWorkflow: "shipping" },
    ]);
  });

  it("writes handler tests that pass", async () => {
    // Act
    const result = await run(
      path.join(BIN, "jest"),
      ["test/unit/consumers/order-watch.test.ts", "test/unit/consumers/express-shipping.test.ts", "--selectProjects", "unit", "--ci"],
      repo,
      120_000,
    );

    // Assess
    expect({ code: result.code, output: result.stderr }).toEqual({ code: 0, output: expect.stringContaining("Tests:       2 passed, 2 total") });
    expect(result.stderr).toContain("PASS unit test/unit/consumers/order-watch.test.ts");
    expect(result.stderr).toContain("PASS unit test/unit/consumers/express-shipping.test.ts");
  }, 150_000);

  it("adds only the new groups' resources to the Pulumi program and changes none of the existing ones", async () => {
    // Act
    const after = await check<Resource[]>("resources", [], 120_000);

    // Assess: every resource there was is still there, with the same inputs (function code included).
    // A resource is its type and name, as in its URN: a group's component and its function share a name.
    const id = (r: Resource) => `${r.type} ${r.name}`;
    const now = new Map(after.map((r) => [id(r), r]));
    expect(resourcesBefore.filter((r) => now.get(id(r))?.inputs !== r.inputs).map(id)).toEqual([]);
    // Assess: what was added belongs to the new groups, the same resources for each as for any group
    const old = new Set(resourcesBefore.map(id));
    const added = after.filter((r) => !old.has(id(r)));
    expect(added.filter((r) => !/OrderWatch|ExpressShipping/.test(r.name)).map((r) => r.name)).toEqual([]);
    // The dashboard's alarm list gains the new groups' alarms, and only those.
    const alarmsShown = (resources: Resource[]) => resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")!.alarms!;
    const newAlarms = alarmsShown(after).filter((arn) => !alarmsShown(resourcesBefore).includes(arn));
    expect(newAlarms.length).toBe(added.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").length);
    expect(newAlarms.filter((arn) => !/OrderWatch|ExpressShipping/.test(arn))).toEqual([]);
    const typesOf = (group: string) =>
      added
        .filter((r) => r.custom && r.name.includes(group))
        .map((r) => r.type)
        .sort();
    const perGroup = [
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "aws:cloudwatch/metricAlarm:MetricAlarm", // offset lag
      "aws:cloudwatch/metricAlarm:MetricAlarm", // errors
      "aws:cloudwatch/metricAlarm:MetricAlarm", // dead-lettered
      "aws:cloudwatch/metricAlarm:MetricAlarm", // offset lag of the mapping's Kafka group id
      "aws:dynamodb/table:Table",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "aws:lambda/function:Function",
      "aws:msk/topic:Topic",
    ];
    expect(typesOf("ExpressShipping")).toEqual(perGroup);
    // order-watch reads two contexts' topics: one event source mapping each, and a lag alarm each
    expect(typesOf("OrderWatch")).toEqual([...perGroup, "aws:lambda/eventSourceMapping:EventSourceMapping", "aws:cloudwatch/metricAlarm:MetricAlarm"].sort());
  }, 150_000);

  it("runs the new groups in the local runtime: each gets every event it subscribes to, and the starter starts its workflow", async () => {
    // Act
    type Counts = Record<string, number>;
    const result = await check<{ ok: boolean; problems: string[]; groups: Record<string, { published: Counts; received: Counts; started: Counts }> }>(
      "runtime",
      ["order-watch", "express-shipping"],
      150_000,
    );

    // Assess
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    const watch = result.groups["order-watch"]!;
    const express = result.groups["express-shipping"]!;
    expect(Object.keys(watch.published).sort()).toEqual(["orders.OrderPlaced", "orders.OrderRejected", "shipping.ShipmentDispatched"]);
    expect(watch.received).toEqual(watch.published);
    expect(express.published["orders.OrderPlaced"]).toBeGreaterThan(0);
    expect(express.received).toEqual(express.published);
    expect(express.started).toEqual(express.published);
  }, 200_000);
});
