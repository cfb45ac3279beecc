import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { Topology } from "../platform/model";
import { DELIVERIES, type Repo } from "../platform/scaffold/consumer-plan";

/**
 * Loads the topology, model and test examples of the repository at `root` (the one a group or
 * context is added to, perhaps not this CLI's own copy): the scaffolder reads them, never loads them.
 */
export function loadRepo(root: string): Repo {
  const load = createRequire(path.join(root, "package.json"));
  const model = load("./platform/model") as Repo["model"];
  const { topology } = load("./topology") as { topology: Topology };
  const contextExports = load("./contexts") as Record<string, unknown>;
  const deliveries = fs.existsSync(path.join(root, DELIVERIES)) ? (load(`./${DELIVERIES}`) as { examples?: Record<string, unknown> }) : undefined;
  return { model, topology, contextExports, examples: deliveries?.examples };
}
