import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A copy of this repository to run a scaffolding command in for real (npm run add-consumer,
 * add-context): its tracked sources, node_modules linked, and check scripts run in it as child
 * processes bounded in time, each writing its result as JSON.
 */

/** This repository, and its tools. */
export const ROOT = path.resolve(__dirname, "../..");
export const BIN = path.join(ROOT, "node_modules/.bin");

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of every child: handlers silent, no colours in what the tests read. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", FORCE_COLOR: "0", NO_COLOR: "1", ...extra };
  delete env.JEST_WORKER_ID; // a jest run in the copy is its own run, not a worker of this one
  return env;
}

/** Runs a command to its end; after `timeoutMs` its whole process group is killed and the promise rejects with its output. */
export function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env = childEnv()): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`${path.basename(command)} ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${stdout.slice(-3000)}\nstderr: ${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The repository's tracked files as they are in the working tree, node_modules linked. */
export function copyRepository(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached"], { cwd: ROOT }).toString().split("\0");
  for (const file of files.filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(from, path.join(to, file));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(to, "node_modules"), "dir");
}

/** Every file (by content hash), folder and link under `dir`, node_modules aside. */
export function snapshot(dir: string, prefix = ""): Map<string, string> {
  const entries = new Map<string, string>();
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    if (relative === "node_modules") continue;
    if (entry.isSymbolicLink()) entries.set(relative, `link ${fs.readlinkSync(path.join(dir, relative))}`);
    else if (entry.isDirectory()) {
      entries.set(`${relative}/`, "folder");
      for (const [child, hash] of snapshot(dir, relative)) entries.set(child, hash);
    } else entries.set(relative, createHash("sha256").update(fs.readFileSync(path.join(dir, relative))).digest("hex"));
  }
  return entries;
}

export function differences(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>) {
  return {
    added: [...after.keys()].filter((p) => !before.has(p)).sort(),
    removed: [...before.keys()].filter((p) => !after.has(p)).sort(),
    changed: [...before.keys()].filter((p) => after.has(p) && after.get(p) !== before.get(p)).sort(),
  };
}

/**
 * A resource of the Pulumi program, its inputs hashed: equal hashes, no change on `pulumi up`. A
 * dashboard's alarm widget lists every alarm by ARN, so it changes with every group or context
 * added: its ARNs are kept apart in `alarms`, and left out of the dashboard's hash.
 */
export interface Resource {
  readonly name: string;
  readonly type: string;
  readonly custom: boolean;
  readonly inputs: string;
  readonly alarms?: string[];
}

/** A check script: index.ts under Pulumi's mocks for the dev stack, as test/support/stack.ts runs it; each resource with a hash of its inputs. */
export const RESOURCES_CHECK = `
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const load = createRequire(path.join(process.cwd(), "package.json"));
const pulumi = load("@pulumi/pulumi");
const { comparable, recordResources } = load("./test/support/pulumi-mocks");
const { stackFileConfig } = load("./test/support/stack");

async function main() {
  const mocks = recordResources({ stack: "dev" });
  pulumi.runtime.setAllConfig(stackFileConfig("dev"));
  load("./index");
  await mocks.settled();
  const resources = [];
  for (const r of mocks.resources) {
    let hashed = r.inputs;
    let alarms;
    if (r.type === "aws:cloudwatch/dashboard:Dashboard") {
      const widgets = JSON.parse(r.inputs.dashboardBody).widgets;
      alarms = widgets.filter((w) => w.type === "alarm").flatMap((w) => w.properties.alarms);
      hashed = { ...r.inputs, dashboardBody: JSON.stringify({ widgets: widgets.filter((w) => w.type !== "alarm") }) };
    }
    const inputs = createHash("sha256").update(JSON.stringify(await comparable(hashed))).digest("hex");
    resources.push({ name: r.name, type: r.type, custom: r.custom, inputs, alarms });
  }
  fs.writeFileSync(process.env.RESULT_FILE!, JSON.stringify(resources));
}

main().then(() => process.exit(0), (error) => (console.error(error), process.exit(1)));
`;

/**
 * Writes `scripts` into `<work>/checks` and returns a runner: `check(name, args, timeoutMs)` runs
 * one in the copy at `repo` (working directory the copy, loading its modules) and returns what it
 * wrote to its RESULT_FILE.
 */
export function checksIn(work: string, repo: string, scripts: Readonly<Record<string, string>>) {
  const dir = path.join(work, "checks");
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, `${name}.ts`), source.trimStart());
  let runs = 0;
  return async function check<T>(script: string, args: readonly string[], timeoutMs: number): Promise<T> {
    const resultFile = path.join(dir, `${script}-${++runs}.json`);
    const result = await run(path.join(BIN, "tsx"), [path.join(dir, `${script}.ts`), ...args], repo, timeoutMs, childEnv({ RESULT_FILE: resultFile }));
    if (result.code !== 0 || !fs.existsSync(resultFile)) throw new Error(`check ${script} failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as T;
  };
}
