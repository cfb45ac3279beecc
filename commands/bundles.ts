import { Command } from "commander";
import { type Bundle, bundle } from "../platform/infra/bundle";
import { functionEntries } from "../platform/infra/function-entries";
import { formatIssue, TopologyError, validate } from "../platform/model";
import { topology } from "../topology";

const program = new Command("npm run bundles --")
  .description("Builds every Lambda bundle of the topology twice and prints its size, hash and whether the two builds match.")
  .option("--stack <name>", "stack whose function names to use", "dev")
  .option("--composition", "also print what makes up the first bundle of each kind (bytes per package, from esbuild's metafile)", false)
  .parse();

function main(): void {
  const { stack, composition } = program.opts<{ stack: string; composition: boolean }>();
  validate(topology, { stack });
  const firstOfKind = new Map<string, Bundle>();
  const rows = functionEntries(topology, stack).map(({ functionName, kind, entry }) => {
    const started = performance.now();
    // Two real esbuild runs: a cache hit would make "deterministic" say nothing.
    const first = bundle({ name: functionName, entry }, { cache: false });
    const buildMs = Math.round(performance.now() - started);
    const second = bundle({ name: functionName, entry }, { cache: false });
    if (!firstOfKind.has(kind)) firstOfKind.set(kind, first);
    return {
      function: functionName,
      kind,
      "code KB": Number((first.bytes / 1024).toFixed(1)),
      "map KB": Number((Buffer.byteLength(first.sourceMap) / 1024).toFixed(1)),
      "build ms": buildMs,
      sha256: first.sha256.slice(0, 12),
      deterministic: first.sha256 === second.sha256 ? "yes" : "NO",
    };
  });
  console.table(rows);
  if (composition) {
    for (const [kind, built] of firstOfKind) {
      console.log(`\n${kind} (${built.name}), ${(built.bytes / 1024).toFixed(1)} KB:`);
      console.table(built.composition.slice(0, 12).map(({ source, bytes }) => ({ source, KB: Number((bytes / 1024).toFixed(1)), "%": Math.round((100 * bytes) / built.bytes) })));
    }
  }
  if (rows.some((row) => row.deterministic !== "yes")) {
    console.error("Some bundles differ between two builds of the same sources; deployments would show spurious diffs.");
    process.exitCode = 1;
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof TopologyError ? error.issues.map(formatIssue).join("\n") : error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
