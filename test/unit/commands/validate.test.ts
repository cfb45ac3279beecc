import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { summary } from "../../../commands/validate";
import { stackConfigFromPulumi } from "../../../platform/model/stack-config";
import { validate } from "../../../platform/model";
import { planConsumerGroups } from "../../../platform/model/consumer-group-plan";
import { stackFileConfig } from "../../support/stack";
import { topology } from "../../../topology";

const ROOT = path.resolve(__dirname, "../../..");
const cli = (...args: string[]) => spawnSync("npx", ["tsx", "commands/validate.ts", ...args], { cwd: ROOT, encoding: "utf8" });

describe("npm run validate", () => {
  it("runs the schema gate: blocks a breaking change, takes an accepted one, then --check passes", () => {
    // Prepare: a baseline (never the committed one) in which OrderPlaced had a field it no longer has
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-lock-"));
    const lock = path.join(dir, "schemas.lock.json");
    const baseline = JSON.parse(fs.readFileSync(path.join(ROOT, "schemas.lock.json"), "utf8"));
    baseline["orders.OrderPlaced"].schema.properties.legacyCode = { type: "string" };
    fs.writeFileSync(lock, JSON.stringify(baseline));
    try {
      // Act
      const blocked = cli("--lock", lock);
      const noReason = cli("--lock", lock, "--accept", "orders.OrderPlaced");
      const accepted = cli("--lock", lock, "--accept", "orders.OrderPlaced", "--reason", "legacyCode was never set");
      const checked = cli("--lock", lock, "--check");

      // Assess
      expect([blocked.status, blocked.stderr.split("\n").slice(0, 2)]).toEqual([1, ["Schema gate: orders.OrderPlaced (v1) changed in ways that can break its readers:", "  - data.legacyCode: field removed"]]);
      expect(blocked.stderr).toContain("    2. Accept the change with a recorded reason: npm run validate -- --accept orders.OrderPlaced --reason \"<why no reader breaks>\"");
      expect([noReason.status, noReason.stderr.trim()]).toEqual([1, '--accept orders.OrderPlaced needs a reason: add --reason "<why no reader breaks>"; schemas.lock.json records it with the changes.']);
      expect(accepted.status).toBe(0);
      expect(JSON.parse(fs.readFileSync(lock, "utf8"))["orders.OrderPlaced"].accepted).toEqual([{ reason: "legacyCode was never set", changes: ["data.legacyCode: field removed"], date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);
      expect([checked.status, checked.stdout.trim().split("\n").at(-1)]).toEqual([0, `Schema gate: ${validate(topology).events.length} events match ${path.relative(ROOT, lock)}.`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("summarises every context, topic and group with the stack's effective scaling", () => {
    const config = stackConfigFromPulumi("prod", stackFileConfig("prod"), topology.consumers.map((c) => c.name));
    const valid = validate(topology, { stack: "prod" });
    const lines = summary(valid, "prod", config);

    expect(lines[0]).toBe('Stack "prod": valid. MSK 3 × kafka.m7g.large, 4.1.x.kraft; replication 3; logs kept 365 days.');
    expect(lines.find((l) => l.startsWith("orders.events"))).toMatch(/^orders\.events\s+12\s+events of orders$/);
    // the stack's override of notify-customer's pollers and concurrency is what is shown
    expect(lines.find((l) => l.startsWith("notify-customer "))).toMatch(/\s50\s+0s\s+2-10\s+40\s+3$/);
    expect(lines.find((l) => l.startsWith("start-shipping "))).toContain("→ starts shipping");
    // the deduplication window follows from the retentions (prod keeps context topics 168 h)
    expect(lines).toContain("Every group remembers handled event ids for 361 h: the longest a record it can read lives (topics kept 168 h, dead letters 336 h, plus a day's segment and an hour).");
    // the reservations against the account limit prod states
    const reserved = planConsumerGroups(valid.consumers, "prod", config).reduce((sum, plan) => sum + (plan.settings.reservedConcurrency ?? 0), 0);
    expect(lines).toContain(`Reserved concurrency: ${reserved} of 900 reservable (account limit 1000, 100 kept unreserved).`);
    // the event pollers the mappings provision, at least and at most
    const plans = planConsumerGroups(valid.consumers, "prod", config);
    const mappings = plans.reduce((sum, plan) => sum + plan.mappings.length, 0);
    const [least, most] = ["minPollers", "maxPollers"].map((key) => plans.reduce((sum, plan) => sum + plan.settings[key as "minPollers"] * plan.mappings.length, 0));
    expect(lines).toContain(`Event pollers: ${least}–${most} over ${mappings} event source mappings, each with pollers of its own (ensemble:functions.sharedPollers shares them).`);
    // 3 contexts, 6 events, 9 topics, 6 consumer groups in the example, and whatever was added since
    const { contexts, events, topics, consumers } = valid;
    expect(lines.at(-1)).toBe(`${contexts.length} contexts, ${events.length} events, ${topics.length} topics, ${consumers.length} consumer groups.`);
  });

  it("exits 1 for a stack file without the provider's default tags, as the Pulumi program would", () => {
    // Prepare: dev's stack file without aws:defaultTags, under a stack name of this run's own
    const stack = `untagged${process.pid}`;
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    fs.writeFileSync(file, dev.replace(/\n {2}aws:defaultTags:\n(?: {4,}.*\n)+/, "\n"));
    try {
      // Act
      const result = cli("--stack", stack);

      // Assess
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`Pulumi.${stack}.yaml has invalid config:\n  - aws:defaultTags must tag every resource with project=ensemble and stack=${stack} (found {}).`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it("exits 0 with the summary for a valid stack, and 1 naming the problem for a bad one", () => {
    // --check: a test must not rewrite the committed baseline (the schema gate's test checks it is current).
    expect(execFileSync("npx", ["tsx", "commands/validate.ts", "--stack", "dev", "--check"], { cwd: ROOT, encoding: "utf8" })).toContain('Stack "dev": valid.');
    const bad = cli("--stack", "Prod.EU");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('stack "Prod.EU": is not a valid stack name');
    expect(bad.stderr).toContain("no Pulumi.Prod.EU.yaml");
  });

  it("exits 1 when a task's reference loads another module than the one infra deploys for it, naming both and the fix", () => {
    // Prepare: WeighParcel's reference type-checks (label-parcel.ts has a handler), but infra bundles weigh-parcel.ts for it
    const crossed = cli("--topology", "test/fixtures/crossed-tasks/topology.ts");

    // Assess
    expect(crossed.status).toBe(1);
    expect(crossed.stdout).toBe("");
    expect(crossed.stderr.trim()).toBe(
      "test/fixtures/crossed-tasks/context.ts: Task parcels.WeighParcel: its reference loads another module than test/fixtures/crossed-tasks/tasks/weigh-parcel.ts, the one deployed for it. " +
        'Fix: reference it as WeighParcel: () => import("./tasks/weigh-parcel.js") with its module at test/fixtures/crossed-tasks/tasks/weigh-parcel.ts, or rename the task after its module.',
    );
  });

  it("exits 1 with the model's message for an invalid topology, and prints no summary", () => {
    const bad = cli("--topology", "test/fixtures/bad-topology.ts");

    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.trim()).toBe(
      'consumers/sales-ledger/consumer.ts: consumer "sales-ledger": is declared twice (first in consumers/sales-ledger/consumer.ts); two groups would share one group id and split its events. Fix: give each consumer group a unique name, or list it once in consumers/index.ts.',
    );
  });
});
