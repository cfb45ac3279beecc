/*
 * Readable stack traces in a bundled Lambda without paying for them at every cold start.
 * `NODE_OPTIONS=--enable-source-maps` reads and parses the bundle's map (0.7–0.8 MB) while the
 * module loads: 40–60 ms of each publisher's and consumer's init (npm run bench, cold-start).
 * Installed last by every bundle entry (platform/infra/bundle.ts), this maps the frames of the
 * bundle through `index.js.map` the first time a stack trace is formatted, so only a cold start
 * that formats one (an error logged, a retry) pays for the map, once.
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Maps the frames of `bundleFile` through `<bundleFile>.map` from the first stack trace on, in
 * place of Node's own formatter (the same text, positions mapped). Does nothing when Node maps
 * stack traces itself (`--enable-source-maps`) or when there is no map beside the file (unbundled).
 */
export function mapStackTracesLazily(bundleFile: string): void {
  const mapFile = `${bundleFile}.map`;
  if (process.sourceMapsEnabled || !existsSync(mapFile)) return;
  let map: SourceMap | undefined;
  Error.prepareStackTrace = (error, callSites) => {
    map ??= new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")) as ConstructorParameters<typeof SourceMap>[0]);
    return `${header(error)}${callSites.map((site) => `\n    at ${frame(site, bundleFile, map!)}`).join("")}`;
  };
}

/** How V8 heads a stack: `Name: message`, or whatever the error's own toString says. */
function header(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return "Error";
  }
}

/** The call site as V8 writes it, its position in the bundle replaced by the TypeScript source's. */
function frame(site: NodeJS.CallSite, bundleFile: string, map: SourceMap): string {
  const text = site.toString();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (site.getFileName() !== bundleFile || line === null || column === null) return text;
  const entry = map.findEntry(line - 1, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
  if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return text;
  const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(bundleFile), entry.originalSource);
  return text.replace(`${bundleFile}:${line}:${column}`, `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

mapStackTracesLazily(__filename);
