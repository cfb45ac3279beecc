import * as fs from "node:fs";
import * as path from "node:path";

/** How the files on disk compare with what the model generates. */
export interface CatalogDiff {
  /** On disk, but with other content. */
  readonly stale: readonly string[];
  /** Not on disk at all. */
  readonly missing: readonly string[];
  readonly unchanged: readonly string[];
}

export const CatalogDiff = {
  inSync: (diff: CatalogDiff) => diff.stale.length === 0 && diff.missing.length === 0,
} as const;

/** Compares generated files with those in `dir`; writes nothing. */
export function compareCatalog(files: Readonly<Record<string, string>>, dir: string): CatalogDiff {
  const stale: string[] = [];
  const missing: string[] = [];
  const unchanged: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) missing.push(name);
    else if (fs.readFileSync(file, "utf8") !== content) stale.push(name);
    else unchanged.push(name);
  }
  return { stale, missing, unchanged };
}

/** Writes the files that differ and returns what it changed. */
export function writeCatalog(files: Readonly<Record<string, string>>, dir: string): CatalogDiff {
  const diff = compareCatalog(files, dir);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of [...diff.stale, ...diff.missing]) fs.writeFileSync(path.join(dir, name), files[name]!);
  return diff;
}

/** What `--check` prints when the catalog is stale; empty when it is in sync. */
export function formatStale(diff: CatalogDiff, dir: string): string[] {
  return [
    ...diff.stale.map((name) => `stale: ${path.join(dir, name)} differs from what the model generates`),
    ...diff.missing.map((name) => `missing: ${path.join(dir, name)}`),
  ];
}
