import * as path from "node:path";
import { Command } from "commander";
import { TopologyError } from "../platform/model";
import { DEFAULT_STACK, PROJECT_ROOT, projectCatalog } from "./project-catalog";
import { CatalogDiff, compareCatalog, formatStale, writeCatalog } from "../platform/catalog/catalog-files";
import { positiveInt } from "./options";

const program = new Command("npm run catalog --")
  .description(
    "Writes what the system is, from contexts/ and consumers/: catalog/asyncapi.yaml (AsyncAPI 3.0), catalog/topology.md (Mermaid diagram and a table per event) and catalog/index.html (self-contained page). Commit the result; --check fails when it is stale.",
  )
  .option("--check", "write nothing; exit 1 if any file differs from what the model generates (CI runs this)", false)
  .option("--out <dir>", "the catalog directory (default: catalog/ of the project, wherever the command runs)")
  .option("--stack <name>", "stack whose consumer group ids and resource names the catalog shows", DEFAULT_STACK)
  .option("--partitions <n>", "partitions of each context topic, dead-letter topics get half, at least 1 (default: the stack's ensemble:kafka.partitions)", positiveInt);

interface Options {
  check: boolean;
  out?: string;
  stack: string;
  partitions?: number;
}

function main(): number {
  const options = program.parse().opts<Options>();
  const started = performance.now();
  let files: Record<string, string>;
  try {
    files = projectCatalog({ stack: options.stack, ...(options.partitions ? { partitions: options.partitions } : {}) });
  } catch (error) {
    if (error instanceof TopologyError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const out = options.out ?? path.join(PROJECT_ROOT, "catalog");
  const dir = path.relative(process.cwd(), path.resolve(out)) || ".";
  const took = `${((performance.now() - started) / 1000).toFixed(2)} s`;

  if (options.check) {
    const diff = compareCatalog(files, out);
    if (CatalogDiff.inSync(diff)) {
      console.log(`catalog is up to date: ${diff.unchanged.map((name) => path.join(dir, name)).join(", ")} (stack ${options.stack}, ${took})`);
      return 0;
    }
    for (const line of formatStale(diff, dir)) console.error(line);
    console.error(`The catalog does not match the model: run npm run catalog and commit ${dir}/.`);
    return 1;
  }

  const diff = writeCatalog(files, out);
  for (const name of diff.missing) console.log(`created   ${path.join(dir, name)}`);
  for (const name of diff.stale) console.log(`updated   ${path.join(dir, name)}`);
  for (const name of diff.unchanged) console.log(`unchanged ${path.join(dir, name)}`);
  console.log(`catalog for stack ${options.stack} written in ${took}`);
  return 0;
}


process.exitCode = main();
