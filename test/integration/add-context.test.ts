import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BIN, checksIn, copyRepository, differences, type Resource, RESOURCES_CHECK, ROOT, run, snapshot } from "../support/repository-copy";

/**
 * `npm run add-context` for real: the CLI writes into a copy of the repository, and the copy is
 * then typechecked, validated, tested (the generated tests, the catalog check and the tests that
 * pin the example topology), run under Pulumi's mocks and in the local runtime on the broker of
 * this test run. Every step is a child process bounded in time.
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
  result = {
    ok: true,
    contexts: valid.contexts.map((c: any) => ({ name: c.name, events: c.eventList.map((e: any) => e.type), tasks: c.tasks.map((t: any) => t.name) })),
    subscribers: Object.fromEntries(valid.events.map((e: any) => [e.type, valid.subscribersOf(e.type).map((c: any) => c.name)])),
  };
} catch (error) {
  if (!(error instanceof TopologyError)) throw error;
  result = { ok: false, issues: (error as any).issues.map(formatIssue) };
}
fs.writeFileSync(process.env.RESULT_FILE!, JSON.stringify(result));
`,
  resources: RESOURCES_CHECK,
  // The whole topology in the local runtime on a stack of its own; one execution of the context named in argv, with the input given there.
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

async function main() {
  const [context, event, input] = [process.argv[2]!, process.argv[3]!, JSON.parse(process.argv[4]!)];
  const stack = \`ax-\${randomUUID().slice(0, 6)}\`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: stack, brokers, logLevel: logLevel.NOTHING });
  // LATEST: the broker may hold other runs' events, which this stack's new groups would replay.
  const runtime = new LocalRuntime({ topology: validate(topology, { stack }), stack, kafka, brokers, startingPosition: "LATEST" });
  await runtime.start();
  try {
    // One execution: it must succeed and publish its one milestone, which every subscribed group receives.
    const scenario = { context, executions: [{ name: \`\${stack}-1\`, input, expect: "SUCCEEDED" }], milestones: { [event]: 1 } };
    const result = await runDemo(runtime, scenario, { rate: 5, timeoutMs: 60_000 });
    const published = runtime.published.filter((e: { context: string }) => e.context === context).map(({ type, key, eventId }: any) => ({ type, key, eventId }));
    const received = Object.fromEntries(
      [...runtime.groups.values()].filter((g: any) => published.some((e: any) => g.delivered.has(e.eventId))).map((g: any) => [g.name, published.filter((e: any) => g.delivered.has(e.eventId)).length]),
    );
    fs.writeFileSync(process.env.RESULT_FILE!, JSON.stringify({ ok: result.ok, problems: result.problems, published: published.map(({ type, key }: any) => ({ type, key })), received }));
  } finally {
    await runtime.stop();
  }
}

main().then(() => process.exit(0), (error) => (console.error(error), process.exit(1)));
`,
};

/** What a context adds to the program: its own resources, named after it. */
const CONTEXT_RESOURCES = [
  "aws:cloudwatch/logGroup:LogGroup", // publisher
  "aws:cloudwatch/logGroup:LogGroup", // task
  "aws:cloudwatch/logGroup:LogGroup", // state machine
  "aws:iam/role:Role",
  "aws:iam/role:Role",
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:lambda/function:Function",
  "aws:lambda/function:Function",
  "aws:sfn/stateMachine:StateMachine",
  "aws:cloudwatch/metricAlarm:MetricAlarm", // failed executions
  "aws:cloudwatch/metricAlarm:MetricAlarm", // timed-out executions
  "aws:cloudwatch/metricAlarm:MetricAlarm", // publisher errors
].sort();

describe("npm run add-context, for real in a copy of the repository", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-add-context-"));
  const repo = path.join(work, "repo");
  let pristine: Map<string, string>;
  let resourcesBefore: Resource[];
  /** Runs a check script in the copy and returns what it wrote. */
  const check = checksIn(work, repo, CHECKS);

  /** This repository's CLI, run in the copy and told to write there. */
  const addContext = (args: readonly string[]) => run(path.join(BIN, "tsx"), [path.join(ROOT, "commands/add-context.ts"), ...args, "--root", repo], repo, 60_000);

  beforeAll(async () => {
    copyRepository(repo);
    // The program as it is before any context is added, recorded in the copy itself (its bundles' maps name node_modules through the link).
    resourcesBefore = await check<Resource[]>("resources", [], 120_000);
    pristine = snapshot(repo);
  }, 150_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  describe("refuses, with the model's message, and writes nothing", () => {
    it.each([
      ["a name that exists", ["orders"], ['context "orders": is declared twice (first in ']],
      ["an invalid name", ["Loyalty_Points"], ['context "Loyalty_Points": has an invalid name. Fix: name the context in kebab-case', '(e.g. "loyalty-points")']],
      ["a name too long for its function names", ["x".repeat(34)], ["would be 65 characters with the longest stack name allowed (20 characters); the limit is 64."]],
      ["an event name that is not PascalCase", ["loyalty", "--event", "points_awarded"], ['event "loyalty.points_awarded": has an invalid name "points_awarded".']],
      ["a task and an event of one name", ["loyalty", "--task", "Award", "--event", "Award"], [`its workflow's states would be named "Award", "Award", "Done"`]],
    ])("%s", async (_, args, messages) => {
      // Act
      const result = await addContext(args);

      // Assess
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: "" });
      for (const message of messages) expect(result.stderr).toContain(message);
      expect(differences(pristine, snapshot(repo))).toEqual({ added: [], removed: [], changed: [] });
    });
  });

  it("--dry-run prints every file it would write, and writes none", async () => {
    // Act
    const result = await addContext(["loyalty-points", "--dry-run"]);

    // Assess
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toContain("--- would create contexts/loyalty-points/context.ts\n");
    expect(result.stdout).toContain('+ import loyaltyPoints from "./loyalty-points/context";');
    expect(result.stdout).toContain('--- would regenerate catalog/ (asyncapi.yaml, topology.md, index.html) with context "loyalty-points" in it\n');
    expect(result.stdout).toContain("--- would record loyalty-points.LoyaltyPointsProcessed in schemas.lock.json, as npm run validate does\n");
    expect(differences(pristine, snapshot(repo))).toEqual({ added: [], removed: [], changed: [] });
  });

  it("scaffolds a context with the defaults and one with its own task and event, regenerates the catalog and the schema lock, and says what comes next", async () => {
    // Act
    const loyalty = await addContext(["loyalty-points"]);
    const returns = await addContext(["returns", "--task", "InspectReturn", "--event", "ReturnInspected", "--description", "Inspects each returned parcel."]);

    // Assess: what it says
    expect({ code: loyalty.code, stderr: loyalty.stderr }).toEqual({ code: 0, stderr: "" });
    expect({ code: returns.code, stderr: returns.stderr }).toEqual({ code: 0, stderr: "" });
    expect(loyalty.stdout.split("\n").filter((line) => /^ {2}(created|changed|updated) /.test(line))).toEqual([
      "  created  contexts/loyalty-points/events.ts",
      "  created  contexts/loyalty-points/tasks/process-loyalty-points.ts",
      "  created  contexts/loyalty-points/workflow.ts",
      "  created  contexts/loyalty-points/context.ts",
      "  created  test/unit/contexts/loyalty-points.test.ts",
      "  changed  contexts/index.ts  (imports loyaltyPoints, adds it to contexts and exports it)",
      "  updated  catalog/asyncapi.yaml, catalog/topology.md, catalog/index.html  (what npm run catalog writes)",
      "  updated  schemas.lock.json  (what npm run validate writes: loyalty-points.LoyaltyPointsProcessed and its readers)",
    ]);
    expect(loyalty.stdout).toContain("npm run add-consumer -- <group> --on loyalty-points.LoyaltyPointsProcessed ");
    expect(loyalty.stdout).toContain("(analytics and audit-archive already receive it: they take every context's events)");
    expect(returns.stdout).toContain('Added context "returns": task InspectReturn, then milestone returns.ReturnInspected on topic returns.events.');

    // Assess: what it wrote, and nothing else
    expect(differences(pristine, snapshot(repo))).toEqual({
      added: [
        "contexts/loyalty-points/",
        "contexts/loyalty-points/context.ts",
        "contexts/loyalty-points/events.ts",
        "contexts/loyalty-points/tasks/",
        "contexts/loyalty-points/tasks/process-loyalty-points.ts",
        "contexts/loyalty-points/workflow.ts",
        "contexts/returns/",
        "contexts/returns/context.ts",
        "contexts/returns/events.ts",
        "contexts/returns/tasks/",
        "contexts/returns/tasks/inspect-return.ts",
        "contexts/returns/workflow.ts",
        "test/unit/contexts/loyalty-points.test.ts",
        "test/unit/contexts/returns.test.ts",
      ],
      removed: [],
      changed: ["catalog/asyncapi.yaml", "catalog/index.html", "catalog/topology.md", "contexts/index.ts", "schemas.lock.json"],
    });
    expect(fs.readFileSync(path.join(repo, "contexts/index.ts"), "utf8")).toContain(
      "export const contexts = [orders, shipping, billing, loyaltyPoints, returns] as const;\n\nexport { billing, loyaltyPoints, orders, returns, shipping };\n",
    );
    expect(fs.readFileSync(path.join(repo, "contexts/returns/context.ts"), "utf8")).toContain('    InspectReturn: () => import("./tasks/inspect-return.js"),\n');
  });

  it("leaves catalog/ and schemas.lock.json current: the catalog's and the schema gate's --check (CI's) pass in the copy", async () => {
    // Act
    const [validate, catalog] = await Promise.all([
      run(path.join(BIN, "tsx"), ["commands/validate.ts", "--check"], repo, 60_000),
      run(path.join(BIN, "tsx"), ["commands/catalog.ts", "--check"], repo, 60_000),
    ]);

    // Assess
    expect({ code: validate.code, stderr: validate.stderr }).toEqual({ code: 0, stderr: "" });
    expect(validate.stdout).toContain("Schema gate: 11 events match schemas.lock.json.");
    expect({ code: catalog.code, stderr: catalog.stderr }).toEqual({ code: 0, stderr: "" });
  });

  it("leaves a project that typechecks: tsc -p . passes in the copy", async () => {
    // Act
    const result = await run(path.join(BIN, "tsc"), ["-p", "."], repo, 180_000);

    // Assess
    expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({ code: 0, output: "" });
  }, 200_000);

  it("leaves a topology that validates, for any stack, with the new contexts in it", async () => {
    // Act
    type Validated = { ok: boolean; issues?: string[]; contexts?: { name: string; events: string[]; tasks: string[] }[]; subscribers?: Record<string, string[]> };
    const result = await check<Validated>("validate", [], 60_000);

    // Assess
    expect(result.issues).toBeUndefined();
    expect(result.contexts!.slice(-2)).toEqual([
      { name: "loyalty-points", events: ["loyalty-points.LoyaltyPointsProcessed"], tasks: ["ProcessLoyaltyPoints"] },
      { name: "returns", events: ["returns.ReturnInspected"], tasks: ["InspectReturn"] },
    ]);
    // the example groups that take every context's events take the new ones
    expect(result.subscribers!["returns.ReturnInspected"]).toEqual(["analytics", "audit-archive"]);
  });

  it("writes tests that pass, and leaves the catalog check and the tests that pin the example topology passing", async () => {
    // Act
    const tests = [
      "test/unit/contexts/loyalty-points.test.ts",
      "test/unit/contexts/returns.test.ts",
      "test/unit/catalog/catalog.test.ts",
      "test/unit/contexts/topology.test.ts",
      "test/unit/model/validate.test.ts",
      "test/unit/commands/validate.test.ts",
    ];
    const result = await run(path.join(BIN, "jest"), [...tests, "--selectProjects", "unit", "--ci"], repo, 180_000);

    // Assess
    expect({ code: result.code, output: result.stderr }).toEqual({ code: 0, output: expect.stringContaining(`Test Suites: ${tests.length} passed, ${tests.length} total`) });
    expect(result.stderr).toContain("PASS unit test/unit/contexts/loyalty-points.test.ts");
    expect(result.stderr).toContain("PASS unit test/unit/catalog/catalog.test.ts");
  }, 200_000);

  it("adds the new contexts' resources to the Pulumi program, and changes of the existing ones only what subscribes to them or bundles them", async () => {
    // Act
    const after = await check<Resource[]>("resources", [], 120_000);

    // Assess: every resource there was is still there; a resource is its type and name, as in its URN
    const id = (r: Resource) => `${r.type} ${r.name}`;
    const now = new Map(after.map((r) => [id(r), r]));
    expect(resourcesBefore.filter((r) => !now.has(id(r))).map(id)).toEqual([]);
    // What changed: every consumer function's code (each bundles contexts/index.ts, now with the
    // new contexts' events), and, for the two groups that take every context's events, their
    // policy (read the new topics), reserved concurrency (pollers x mappings) and dead-letter
    // alarm (one more mapping to count); nothing else. The dashboard's alarm list gains the new alarms.
    const changed = resourcesBefore.filter((r) => now.get(id(r))!.inputs !== r.inputs).map(id);
    // (The invariants group bundles invariants/, which imports contexts/index.ts too.)
    const groups = ["NotifyCustomer", "SalesLedger", "StartShipping", "StartBilling", "Analytics", "AuditArchive", "RefundOrder", "RecallShipment", "Invariants"];
    expect(changed.sort()).toEqual(
      [
        ...groups.map((group) => `aws:lambda/function:Function Ensemble${group}Function`),
        "aws:iam/rolePolicy:RolePolicy EnsembleAnalyticsPolicy",
        "aws:iam/rolePolicy:RolePolicy EnsembleAuditArchivePolicy",
        "aws:cloudwatch/metricAlarm:MetricAlarm EnsembleAnalyticsDeadLetterAlarm",
        "aws:cloudwatch/metricAlarm:MetricAlarm EnsembleAuditArchiveDeadLetterAlarm",
      ].sort(),
    );

    // Assess: what was added is the new contexts' own, the same for each, and one mapping of each new topic per all-events group
    const old = new Set(resourcesBefore.map(id));
    const added = after.filter((r) => !old.has(id(r)) && r.custom);
    const ownedBy = (context: string) => added.filter((r) => r.name.startsWith(`Ensemble${context}`) || r.name === `EnsembleKafkaTopic${context}Events`);
    for (const context of ["LoyaltyPoints", "Returns"]) {
      expect(ownedBy(context).map((r) => r.type).sort()).toEqual([...CONTEXT_RESOURCES, "aws:msk/topic:Topic"].sort());
    }
    expect(
      added
        .filter((r) => !ownedBy("LoyaltyPoints").includes(r) && !ownedBy("Returns").includes(r))
        .map(id)
        .sort(),
    ).toEqual(
      ["Analytics", "AuditArchive"]
        .flatMap((group) =>
          ["LoyaltyPoints", "Returns"].flatMap((context) => [
            `aws:lambda/eventSourceMapping:EventSourceMapping Ensemble${group}EventSourceMapping${context}`,
            `aws:cloudwatch/metricAlarm:MetricAlarm Ensemble${group}LagAlarm${context}`,
          ]),
        )
        .sort(),
    );
    const alarmsShown = (resources: Resource[]) => resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")!.alarms!;
    expect(alarmsShown(after).filter((arn) => !alarmsShown(resourcesBefore).includes(arn)).sort()).toEqual(
      added.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => `arn:aws:cloudwatch:eu-west-1:123456789012:metricAlarm/${r.name}`).sort(),
    );
  }, 150_000);

  it("runs the new workflow in the local runtime: the task, then the milestone on the broker, received by every group subscribed to it", async () => {
    // Act
    type Run = { ok: boolean; problems: string[]; published: { type: string; key: string }[]; received: Record<string, number> };
    const result = await check<Run>("runtime", ["loyalty-points", "loyalty-points.LoyaltyPointsProcessed", JSON.stringify({ id: "lp-1" })], 150_000);

    // Assess
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.published).toEqual([{ type: "loyalty-points.LoyaltyPointsProcessed", key: "lp-1" }]);
    expect(result.received).toEqual({ analytics: 1, "audit-archive": 1 });
  }, 200_000);
});
