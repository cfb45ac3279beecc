import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CommanderError } from "commander";
import * as contextExports from "../../../contexts";
import { contexts } from "../../../contexts";
import { parseArguments, renderCreated, renderRefusal } from "../../../commands/add-context";
import type { DerivedFiles } from "../../../commands/target-repository";
import * as model from "../../../platform/model";
import { contextSource, type ContextScaffoldSpec, contextTestSource, eventsSource, taskSource, workflowSource } from "../../../platform/scaffold/context-code";
import { type AddContextRequest, planContext } from "../../../platform/scaffold/context-plan";
import { writePlan } from "../../../platform/scaffold/file-plan";
import { registerContext } from "../../../platform/scaffold/index-files";
import { topology } from "../../../topology";

const ROOT = path.resolve(__dirname, "../../..");
/** This repository as the planner loads it, from the modules jest already has. */
const repo = { model, topology, contextExports, examples: undefined };
const request = (name: string, more: Partial<AddContextRequest> = {}): AddContextRequest => ({ name, ...more });
const problemsOf = (result: ReturnType<typeof planContext>) => (result.ok ? [] : result.problems);

const loyalty: ContextScaffoldSpec = {
  name: "loyalty-points",
  identifier: "loyaltyPoints",
  description: "Awards points for every placed order.",
  event: "PointsAwarded",
  task: "AwardPoints",
};

describe("npm run add-context", () => {
  describe("arguments", () => {
    it("reads the name, the event, the task, the description, the root and --dry-run", () => {
      expect(
        parseArguments(["loyalty-points", "--event", "PointsAwarded", "--task", "AwardPoints", "--description", "Awards points.", "--root", "/tmp/elsewhere", "--dry-run"]),
      ).toEqual({
        request: { name: "loyalty-points", event: "PointsAwarded", task: "AwardPoints", description: "Awards points." },
        root: "/tmp/elsewhere",
        dryRun: true,
      });
    });

    it("leaves what is not given to the planner's defaults, and writes into this repository", () => {
      expect(parseArguments(["loyalty-points"])).toEqual({ request: { name: "loyalty-points" }, root: ROOT, dryRun: false });
    });

    it("refuses a missing name before anything is checked", () => {
      let error: CommanderError | undefined;
      try {
        parseArguments(["--dry-run"]);
      } catch (thrown) {
        error = thrown as CommanderError;
      }
      expect(error?.code).toBe("commander.missingArgument");
    });
  });

  describe("checks, against the repository's own model", () => {
    it.each([
      ["a taken name", request("orders"), 'context "orders": is declared twice (first in contexts/orders/context.ts).'],
      ["an invalid name", request("Loyalty_Points"), 'context "Loyalty_Points": has an invalid name. Fix: name the context in kebab-case: lowercase letters, digits and single hyphens'],
      ["a name too long for its publisher's function name", request("x".repeat(34)), "would be 65 characters with the longest stack name allowed (20 characters); the limit is 64."],
      ["an event name that is not PascalCase", request("loyalty", { event: "points_awarded" }), 'event "loyalty.points_awarded": has an invalid name "points_awarded".'],
      ["a task name that is not PascalCase", request("loyalty", { task: "award-points" }), 'task "loyalty.award-points": has an invalid name.'],
      ["a task that would take its context's publisher's function name", request("loyalty", { task: "Publisher" }), `"${"s".repeat(20)}-loyalty-Publisher" differs only in case from "${"s".repeat(20)}-loyalty-publisher"`],
      ["a task and an event of one name", request("loyalty", { task: "Award", event: "Award" }), `its workflow's states would be named "Award", "Award", "Done"`],
      ["an event named like the last state", request("loyalty", { event: "Done" }), `choose a --task and an --event that differ from each other and from "Done".`],
    ])("refuses %s", (_, given, message) => {
      // Act
      const result = planContext(ROOT, given, repo);

      // Assess
      expect(result.ok).toBe(false);
      expect(problemsOf(result).join("\n")).toContain(message);
    });

    it("gives the model's message with the file the context would live in", () => {
      expect(problemsOf(planContext(ROOT, request("Loyalty_Points"), repo))).toEqual([
        'contexts/Loyalty_Points/context.ts: context "Loyalty_Points": has an invalid name. Fix: name the context in kebab-case: lowercase letters, digits and single hyphens, starting with a letter (e.g. "loyalty-points").',
      ]);
    });

    it("marks the problems the topology had before the context", () => {
      // Prepare: a context already in the topology whose workflow calls five tasks it does not declare
      const broken = { ...contexts[0], name: "broken", tasks: [], definedIn: "contexts/broken/context.ts" };
      const result = planContext(ROOT, request("loyalty"), { ...repo, topology: { ...topology, contexts: [...contexts, broken] } });

      // Act
      const lines = result.ok ? [] : renderRefusal("loyalty", result);

      // Assess
      expect(lines[0]).toBe('Not adding context "loyalty" (5 problems); nothing was written.');
      expect(lines.slice(1).every((line) => line.startsWith('  - (already in the topology) contexts/broken/context.ts: context "broken": its workflow calls task'))).toBe(true);
    });

    describe("in a repository of its own", () => {
      let root: string;
      const indexText = [
        'import orders from "./orders/context";',
        "",
        "export const contexts = [orders] as const;",
        "",
        "export { orders };",
        "",
      ].join("\n");

      beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "add-context-unit-"));
        fs.mkdirSync(path.join(root, "contexts"));
        fs.mkdirSync(path.join(root, "test/unit/contexts"), { recursive: true });
        fs.writeFileSync(path.join(root, "contexts/index.ts"), indexText);
        fs.writeFileSync(path.join(root, "test/unit/contexts/run-workflow.ts"), "");
      });
      afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

      it("refuses a folder or test that is there though no context of that name is registered", () => {
        // Prepare
        fs.mkdirSync(path.join(root, "contexts/loyalty"));
        fs.writeFileSync(path.join(root, "test/unit/contexts/loyalty.test.ts"), "");

        // Act / Assess
        expect(problemsOf(planContext(root, request("loyalty"), repo))).toEqual([
          'contexts/loyalty: context "loyalty": contexts/loyalty already exists, though no context of that name is registered in contexts/index.ts. Fix: remove it, register the context by hand, or pick another name.',
          'test/unit/contexts/loyalty.test.ts: context "loyalty": test/unit/contexts/loyalty.test.ts already exists, though no context of that name is registered in contexts/index.ts. Fix: remove it, register the context by hand, or pick another name.',
        ]);
      });

      it("refuses a contexts/index.ts it cannot edit, and a missing runWorkflow helper", () => {
        // Prepare
        fs.writeFileSync(path.join(root, "contexts/index.ts"), indexText.replace("export { orders };", ""));
        fs.rmSync(path.join(root, "test/unit/contexts/run-workflow.ts"));

        // Act / Assess
        expect(problemsOf(planContext(root, request("loyalty"), repo))).toEqual([
          'test/unit/contexts/run-workflow.ts: context "loyalty": test/unit/contexts/run-workflow.ts is missing; the generated test runs the workflow with its runWorkflow(). Fix: restore it from the repository.',
          "contexts/index.ts: the contexts index: cannot be edited: it has no `export { ... };` list to export the context by name from. " +
            'Fix: register the context by hand, or keep the shape: one `import x from "./<context>/context";` per context, `export const contexts = [x, ...] as const;` and `export { x, ... };`.',
        ]);
      });

      it("plans the context's files, its test and the index change, with the defaults, writing nothing", () => {
        // Act
        const result = planContext(root, request("loyalty-points"), repo);

        // Assess
        if (!result.ok) throw new Error(result.problems.join("\n"));
        expect(result.plan.spec).toEqual({
          name: "loyalty-points",
          identifier: "loyaltyPoints",
          description: "Runs ProcessLoyaltyPoints on each loyalty-points request and publishes LoyaltyPointsProcessed.",
          event: "LoyaltyPointsProcessed",
          task: "ProcessLoyaltyPoints",
        });
        expect(result.plan.created.map((f) => f.path)).toEqual([
          "contexts/loyalty-points/events.ts",
          "contexts/loyalty-points/tasks/process-loyalty-points.ts",
          "contexts/loyalty-points/workflow.ts",
          "contexts/loyalty-points/context.ts",
          "test/unit/contexts/loyalty-points.test.ts",
        ]);
        expect(result.plan.changed).toEqual([
          {
            path: "contexts/index.ts",
            before: indexText,
            text: indexText
              .replace('import orders from "./orders/context";', 'import loyaltyPoints from "./loyalty-points/context";\nimport orders from "./orders/context";')
              .replace("[orders]", "[orders, loyaltyPoints]")
              .replace("{ orders }", "{ loyaltyPoints, orders }"),
          },
        ]);
        expect(fs.readdirSync(path.join(root, "contexts"))).toEqual(["index.ts"]);
      });
    });
  });

  describe("generated code", () => {
    it("declares the context in its folder, its task by a lazy import of tasks/<task>.ts, and its workflow", () => {
      expect(contextSource(loyalty)).toBe(
        [
          'import { defineContext } from "../../platform/model";',
          'import { PointsAwarded } from "./events";',
          'import workflow from "./workflow";',
          "",
          "export default defineContext({",
          '  name: "loyalty-points",',
          "  dir: __dirname,",
          '  description: "Awards points for every placed order.",',
          "  events: [PointsAwarded],",
          "  tasks: {",
          '    AwardPoints: () => import("./tasks/award-points.js"),',
          "  },",
          "  workflow,",
          "});",
          "",
        ].join("\n"),
      );
    });

    it("runs the task, then publishes the event keyed by the request's id, then succeeds", () => {
      expect(workflowSource(loyalty)).toBe(
        [
          'import { defineWorkflow, milestone, succeed, task, transient } from "../../platform/model";',
          'import { PointsAwarded } from "./events";',
          "",
          "/** AwardPoints, then the PointsAwarded milestone. */",
          "export default defineWorkflow({",
          '  Comment: "Awards points for every placed order.",',
          '  StartAt: "AwardPoints",',
          "  States: {",
          '    AwardPoints: task("AwardPoints", { next: "PointsAwarded", retry: transient }),',
          '    PointsAwarded: milestone(PointsAwarded, { key: "$.id", next: "Done" }),',
          "    Done: succeed(),",
          "  },",
          "});",
          "",
        ].join("\n"),
      );
    });

    it("writes an event whose schema the task's output passes, and a typed task handler", () => {
      expect(eventsSource(loyalty)).toContain(
        ['export const PointsAwarded = defineEvent({', '  name: "PointsAwarded",', "  schema: z.object({"].join("\n").replace("\n  schema", '\n  description: "AwardPoints has done its work on a loyalty-points request.",\n  schema'),
      );
      expect(eventsSource(loyalty)).toContain('    id: z.string().min(1),\n    status: z.literal("processed"),\n');
      expect(taskSource(loyalty)).toContain(
        ["export async function handler(state: LoyaltyPointsRequest): Promise<LoyaltyPointsState> {", '  return { ...state, status: "processed" };', "}"].join("\n"),
      );
    });

    it("tests the task alone, then the workflow run locally with it, expecting its milestone", () => {
      const text = contextTestSource(loyalty);
      expect(text.split("\n").slice(0, 3)).toEqual([
        'import { loyaltyPoints } from "../../../contexts";',
        'import { handler as awardPoints } from "../../../contexts/loyalty-points/tasks/award-points";',
        'import { runWorkflow } from "./run-workflow";',
      ]);
      expect(text).toContain('    const run = await runWorkflow(loyaltyPoints, { id: "loyalty-points-1" });');
      expect(text).toContain('        type: "loyalty-points.PointsAwarded",\n        key: "loyalty-points-1",\n        state: "PointsAwarded",');
    });

    it("never lets the test's names collide", () => {
      const text = contextTestSource({ ...loyalty, name: "run-workflow", identifier: "runWorkflow", task: "RunWorkflow" });
      expect(text).toContain('import { runWorkflow as runWorkflowContext } from "../../../contexts";');
      expect(text).toContain("import { handler as runWorkflowHandler } from");
      expect(text).toContain("await runWorkflow(runWorkflowContext, ");
    });
  });

  describe("registration in contexts/index.ts", () => {
    const index = ['import billing from "./billing/context";', 'import orders from "./orders/context";', "", "export const contexts = [orders, billing] as const;", "", "export { billing, orders };", ""].join("\n");

    it("imports the context in path order, lists it last and exports it in order", () => {
      expect(registerContext(index, "loyalty")).toEqual({
        identifier: "loyalty",
        text: [
          'import billing from "./billing/context";',
          'import loyalty from "./loyalty/context";',
          'import orders from "./orders/context";',
          "",
          "export const contexts = [orders, billing, loyalty] as const;",
          "",
          "export { billing, loyalty, orders };",
          "",
        ].join("\n"),
      });
    });

    it("never imports a context under a reserved word or a name already used", () => {
      expect(registerContext(index, "new").identifier).toBe("newContext");
      expect(registerContext(index.replaceAll("billing", "loyalty"), "billing").identifier).toBe("billing");
    });
  });

  describe("what it prints", () => {
    const plan = {
      root: ROOT,
      spec: loyalty,
      created: [{ path: "contexts/loyalty-points/context.ts", text: "" }],
      changed: [{ path: "contexts/index.ts", text: "", before: "" }],
    };
    const derived: DerivedFiles = {
      catalog: [{ path: "catalog/asyncapi.yaml", text: "" }],
      lock: { path: "schemas.lock.json", text: "{}\n" },
      lockProblem: undefined,
      subscribers: { "loyalty-points": [] },
    };

    it("says what it wrote, that the catalog and the schema lock are brought up to date, and what comes next, naming the groups that already receive the event", () => {
      // Act
      const lines = renderCreated(plan, { ...derived, subscribers: { "loyalty-points": ["analytics", "audit-archive"] } }, ROOT);

      // Assess
      expect(lines.slice(0, 7)).toEqual([
        'Added context "loyalty-points": task AwardPoints, then milestone loyalty-points.PointsAwarded on topic loyalty-points.events.',
        "",
        "  created  contexts/loyalty-points/context.ts",
        "  changed  contexts/index.ts  (imports loyaltyPoints, adds it to contexts and exports it)",
        "  updated  catalog/asyncapi.yaml  (what npm run catalog writes)",
        "  updated  schemas.lock.json  (what npm run validate writes: loyalty-points.PointsAwarded and its readers)",
        "",
      ]);
      expect(lines).toContain("  3. npm run add-consumer -- <group> --on loyalty-points.PointsAwarded    subscribes a consumer group to its milestone");
      expect(lines).toContain("     (analytics and audit-archive already receive it: they take every context's events)");
      expect(lines).toContain("     then npm run validate and npm run catalog to bring schemas.lock.json and catalog/ up to date, and commit them with the context.");
      expect(lines).toContain("     breaking change, git checkout schemas.lock.json and run npm run validate again, to record the event afresh.");
    });

    it("says why it left schemas.lock.json as it was, and what to run, when the gate would not write it", () => {
      // Act
      const lines = renderCreated(plan, { ...derived, lock: undefined, lockProblem: "the schema gate blocks a change it has not recorded (orders.OrderPlaced). Run npm run validate." }, ROOT);

      // Assess
      expect(lines.slice(4, 8)).toEqual([
        "  updated  catalog/asyncapi.yaml  (what npm run catalog writes)",
        "",
        "Note: schemas.lock.json is left as it was, so npm run validate -- --check (CI) fails: the schema gate blocks a change it has not recorded (orders.OrderPlaced). Run npm run validate.",
        "",
      ]);
      // No group reads the event yet, so no change to its data can be blocked.
      expect(lines.join("\n")).not.toContain("git checkout schemas.lock.json");
    });
  });

  describe("writing, with files derived from the new ones", () => {
    let root: string;
    const plan = () => ({ root, created: [{ path: "contexts/x/context.ts", text: "c\n" }], changed: [{ path: "contexts/index.ts", text: "after\n", before: "before\n" }] });

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "add-context-write-"));
      fs.mkdirSync(path.join(root, "contexts"));
      fs.mkdirSync(path.join(root, "catalog"));
      fs.writeFileSync(path.join(root, "contexts/index.ts"), "before\n");
      fs.writeFileSync(path.join(root, "catalog/topology.md"), "old\n");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("writes what the derivation returns once the planned files are in place", () => {
      // Act
      writePlan(plan(), () => {
        expect(fs.readFileSync(path.join(root, "contexts/x/context.ts"), "utf8")).toBe("c\n");
        return [
          { path: "catalog/topology.md", text: "new\n" },
          { path: "catalog/index.html", text: "<html>\n" },
        ];
      });

      // Assess
      expect(fs.readFileSync(path.join(root, "catalog/topology.md"), "utf8")).toBe("new\n");
      expect(fs.readFileSync(path.join(root, "catalog/index.html"), "utf8")).toBe("<html>\n");
    });

    it("takes everything back when the derivation fails", () => {
      // Act
      const act = () =>
        writePlan(plan(), () => {
          throw new Error("the catalog could not be generated");
        });

      // Assess
      expect(act).toThrow("the catalog could not be generated");
      expect(fs.existsSync(path.join(root, "contexts/x"))).toBe(false);
      expect(fs.readFileSync(path.join(root, "contexts/index.ts"), "utf8")).toBe("before\n");
      expect(fs.readFileSync(path.join(root, "catalog/topology.md"), "utf8")).toBe("old\n");
    });
  });
});
