import * as fs from "node:fs";
import * as path from "node:path";

// The structure the design promises: model -> (infra | local | catalog) -> commands, with the
// project's own topology wired to the platform only by commands/ and index.ts.
const ROOT = path.resolve(__dirname, "../..");

/** Relative imports of a source file (import/export ... from, require, dynamic import), resolved to repository paths. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const source = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"`]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"|\brequire\("([^"]+)"\)|\bimport\("([^"]+)"\)/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? m[4]!,
  );
  const local: string[] = [];
  const packages: string[] = [];
  for (const specifier of specifiers) {
    if (!specifier.startsWith(".")) {
      packages.push(specifier);
      continue;
    }
    const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier));
    const resolved = [`${target}.ts`, path.join(target, "index.ts"), target].find((candidate) => fs.existsSync(path.join(ROOT, candidate)) && fs.statSync(path.join(ROOT, candidate)).isFile());
    if (resolved) local.push(resolved);
  }
  return { local, packages };
}

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f));
}

const layerOf = (file: string) => /^platform\/([^/]+)\//.exec(file)?.[1] ?? file.split("/")[0]!;

/** Which platform folders each may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  model: ["model"],
  runtime: ["runtime", "model"],
  broker: ["broker"],
  infra: ["infra", "model"],
  local: ["local", "model", "runtime"],
  catalog: ["catalog", "model"],
  redrive: ["redrive", "model", "runtime", "local"],
  // The local runtime's web view: it draws the catalog's diagram and reads dead letters back as a redrive does.
  "live-view": ["live-view", "local", "catalog", "redrive", "model", "runtime"],
  scaffold: ["scaffold", "model"],
};

describe("the dependency structure", () => {
  const platform = sourcesUnder("platform");

  it.each(Object.keys(ALLOWED))("platform/%s imports only from the layers allowed to it, never the project's own topology", (layer) => {
    const offending = platform
      .filter((file) => layerOf(file) === layer)
      .flatMap((file) => importsOf(file).local.map((target) => ({ file, target })))
      .filter(({ target }) => !(target.startsWith("platform/") && ALLOWED[layer]!.includes(layerOf(target))));
    expect(offending).toEqual([]);
  });

  it("loads no module by a path built at run time (createRequire), which the import rules could not see", () => {
    expect(platform.filter((file) => /\bcreateRequire\b/.test(fs.readFileSync(path.join(ROOT, file), "utf8")))).toEqual([]);
  });

  it("has no platform folder the rule above does not cover", () => {
    expect([...new Set(platform.map(layerOf))].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it("lets only commands/, index.ts and the benchmarks import topology.ts", () => {
    const sources = [...sourcesUnder("platform"), ...sourcesUnder("commands"), ...sourcesUnder("contexts"), ...sourcesUnder("consumers"), ...sourcesUnder("bench"), "index.ts"];
    const importers = sources.filter((file) => importsOf(file).local.includes("topology.ts"));
    expect(importers.filter((file) => !file.startsWith("commands/") && !file.startsWith("bench/") && file !== "index.ts")).toEqual([]);
    expect(importers).toContain("index.ts");
  });

  /** Every repository file and package an entry point loads, transitively. */
  function reach(entry: string): { files: string[]; packages: string[] } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const { local, packages: used } = importsOf(file);
      for (const name of used) packages.add(name);
      for (const target of local) if (target.endsWith(".ts")) visit(target);
    };
    visit(entry);
    return { files: [...files], packages: [...packages] };
  }

  it("keeps the Pulumi packages out of npm start, validate and the catalog", () => {
    // The walk sees them where they are: the Pulumi program loads both.
    expect(reach("index.ts").packages).toEqual(expect.arrayContaining(["@pulumi/pulumi", "@pulumi/aws"]));
    for (const entry of ["commands/start.ts", "commands/validate.ts", "commands/catalog.ts"]) {
      const { files, packages } = reach(entry);
      expect({ entry, infra: files.filter((file) => file.startsWith("platform/infra/")), pulumi: packages.filter((name) => name.startsWith("@pulumi/")) }).toEqual({ entry, infra: [], pulumi: [] });
    }
  });
});
