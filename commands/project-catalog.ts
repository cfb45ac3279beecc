import * as fs from "node:fs";
import * as path from "node:path";
import { topology } from "../topology";
import { type CatalogFile, generateCatalog } from "../platform/catalog/generate";
import { validate } from "../platform/model";
import { PROJECT_ROOT, stackConfigFor } from "./stack-file";

/** The project root: where `package.json`, `topology.ts` and `catalog/` live. */
export { PROJECT_ROOT };

/**
 * The stack whose names the committed catalog shows. `dev` because it is the stack every
 * developer deploys first (`Pulumi.dev.yaml`) and the one the docs use; only names that carry
 * the stack change with it (consumer group ids, function and state machine names, the cluster).
 */
export const DEFAULT_STACK = "dev";

export interface ProjectCatalogOptions {
  /** @default "dev" */
  readonly stack?: string;
  /** @default the stack's `ensemble:kafka.partitions` */
  readonly partitions?: number;
}

/**
 * The catalog of this project: `topology.ts` validated for the stack, with `info` from
 * `package.json`. What `npm run catalog` writes and what its `--check` (and the tests) compare.
 */
export function projectCatalog(options: ProjectCatalogOptions = {}): Record<CatalogFile, string> {
  const stack = options.stack ?? DEFAULT_STACK;
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: string; description?: string };
  return generateCatalog(validate(topology, { stack }), {
    stack,
    config: stackConfigFor(stack, topology.consumers.map((c) => c.name), { required: false }),
    ...(options.partitions ? { partitions: options.partitions } : {}),
    info: { title: "Ensemble", version: pkg.version ?? "0.0.0", description: pkg.description },
  });
}
