import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { Section } from "./harness";
import { SectionFailure } from "./harness";
import { PULUMI_RESULT_PREFIX } from "./options";
import { ratio, type Table } from "./report";
import { round } from "./stats";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
const CHILD = path.join(__dirname, "pulumi-scale-child.ts");

export interface PulumiScaleRun {
  readonly groups: number;
  /** Resources a provider would create, and component resources. */
  readonly resources: number;
  readonly components: number;
  /** esbuild runs, and bundles served from the in-process cache. */
  readonly bundles: { readonly built: number; readonly reused: number };
  /** Program start to every registration settled, and the whole process up to then. */
  readonly programMs: number;
  /** CPU time (user + system) over the same span: steadier than wall time on a loaded machine. */
  readonly programCpuMs: number;
  readonly wallMs: number;
  readonly maxRssMb: number;
}

/**
 * Scaling of the Pulumi program under mocks: index.ts's program for the example contexts plus
 * 0 (the baseline), 10, 100, 500 synthetic consumer groups, each size in a fresh process.
 */
export const pulumiScaleSection: Section = {
  name: "pulumi-scale",
  needsBroker: false,
  async run(context) {
    const runs: PulumiScaleRun[] = [];
    for (const groups of [0, ...context.options.pulumiGroups]) {
      runs.push(await measure(groups));
      context.log(`pulumi scale: ${groups} groups in ${round(runs.at(-1)!.programMs / 1000)} s, ${round(runs.at(-1)!.maxRssMb)} MB`);
    }
    return { data: { stack: "dev", runs }, tables: [scaleTable(runs)] };
  },
};

function scaleTable(runs: readonly PulumiScaleRun[]): Table {
  const [base] = runs;
  return {
    title: "Pulumi program under mocks (stack dev): example contexts + N consumer groups, one process per size",
    columns: ["groups", "resources", "bundles built/reused", "program s", "vs 0", "program CPU s", "peak RSS MB", "vs 0", "process s"],
    rows: runs.map((r) => [
      r.groups,
      r.resources,
      `${r.bundles.built}/${r.bundles.reused}`,
      round(r.programMs / 1000),
      ratio(r.programMs, base!.programMs),
      round(r.programCpuMs / 1000),
      round(r.maxRssMb),
      ratio(r.maxRssMb, base!.maxRssMb),
      round(r.wallMs / 1000),
    ]),
    note: "program s: construct to every registration settled (CPU s: user + system over the same span); process s adds node, tsx and module loading. Baseline: 0 groups.",
  };
}

async function measure(groups: number): Promise<PulumiScaleRun> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [...deployNodeArgs(), "--import", "tsx", CHILD, String(groups)], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30 * 60_000,
    }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split("\n").slice(-10).join("\n");
    throw new SectionFailure(`the Pulumi program with ${groups} groups failed${stderr ? `:\n${stderr}` : ""}`, { cause: error });
  }
  const line = stdout.split("\n").find((l) => l.startsWith(PULUMI_RESULT_PREFIX));
  if (!line) throw new SectionFailure(`no result from the Pulumi program with ${groups} groups:\n${stdout.slice(-500)}`);
  return JSON.parse(line.slice(PULUMI_RESULT_PREFIX.length)) as PulumiScaleRun;
}

/** The node arguments `pulumi up` runs the program with (Pulumi.yaml `runtime.options.nodeargs`), so the child measures the same. */
function deployNodeArgs(): string[] {
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime?: { options?: { nodeargs?: string } } };
  return project.runtime?.options?.nodeargs?.split(/\s+/).filter((arg) => arg.length > 0) ?? [];
}
