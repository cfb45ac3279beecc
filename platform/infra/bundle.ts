import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BuildFailure, BuildOptions, Message, Metafile, OutputFile } from "esbuild";
import { buildTrimmedSync } from "./bundle-sync-build";
import { BundleError } from "./errors";

// Declared with the other infra errors; exported here too, where callers have always found it.
export { BundleError };

/** The Lambda runtime the bundles target (esbuild's `target` follows it). */
export const LAMBDA_RUNTIME = "nodejs22.x";

/** The handler setting for code from {@link lambdaCode}: `index.js`, export `handler`. */
export const LAMBDA_HANDLER = "index.handler";

/**
 * Environment to set on every bundled function: nothing today. Errors in the logs still point at
 * the TypeScript sources (`platform/runtime/publisher.ts:99`): every bundle maps its stack traces
 * through `index.js.map` itself, the first time one is formatted ({@link STACK_TRACE_MODULE}),
 * where `NODE_OPTIONS=--enable-source-maps` would parse the map at every cold start (40–60 ms of
 * a publisher's or consumer's init, npm run bench).
 */
export const LAMBDA_ENVIRONMENT: Readonly<Record<string, string>> = {};

/** Set to "1" at build time in every bundle (esbuild's `define`), never in a checkout. */
const BUNDLED_VARIABLE = "ENSEMBLE_BUNDLED";

/** Imported last by every bundle's entry: maps its stack traces lazily (see the module). */
const STACK_TRACE_MODULE = "./platform/runtime/lazy-source-maps";

/**
 * Left out of the bundle by default: the `nodejs22.x` runtime provides AWS SDK v3 (`@aws-sdk/*`
 * and the `@smithy/*` packages it is built on), and bundling it adds 0.5–0.6 MB per function.
 * The price: functions run the runtime's SDK version, not the lockfile's, and a package the
 * runtime does not ship fails when first used (one is aliased below): a bundle loads its SDK
 * packages on first use, not at init (platform/infra/bundle-lazy.ts), so a rarely taken path
 * would be the first to find out. test/unit/infra/bundle.test.ts loads every package each
 * bundle names. Pass `external: []` to bundle a pinned SDK instead.
 */
export const AWS_SDK_EXTERNALS: readonly string[] = ["@aws-sdk/*", "@smithy/*"];

/**
 * Packages replaced while bundling. `@aws-crypto/util` (reached through aws-msk-iam-sasl-signer-js)
 * still requires the deprecated `@aws-sdk/util-utf8-browser`, which current SDK v3 releases, and
 * so the runtime, no longer ship; with `@aws-sdk/*` external, that `require` would fail at cold
 * start. Its successor `@smithy/util-utf8` has the same functions and every SDK client depends on
 * it. The signer's STS client and pure-JavaScript SHA-256 give way to stubs in
 * `platform/infra/bundle-stubs/` (each says why): ~19 ms of cold start and 10 KB less.
 */
const SDK_ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/util-utf8-browser": "@smithy/util-utf8",
  "@aws-sdk/client-sts": "./platform/infra/bundle-stubs/client-sts.ts",
  "@aws-crypto/sha256-js": "./platform/infra/bundle-stubs/sha256.ts",
};

/**
 * A context refers to its tasks' modules lazily, `() => import("./tasks/<task>.js")` in its
 * context.ts, so the type checker checks each reference and nothing loads a task until it runs.
 * Each task is a function of its own, bundled from its module; the bundles that reach a context
 * (its milestone publisher, the consumer groups importing its events) leave these imports as they
 * are, never called there, rather than carry every task's code.
 */
const TASK_IMPORTS = "./tasks/*.js";

/** The repository root: where entries' relative imports resolve and what map paths are relative to. */
const REPO_ROOT = path.resolve(__dirname, "../..");

export interface BundleRequest {
  /** Names the bundle in messages and in its entry's file name; letters, digits, `.`, `_`, `-`. */
  name: string;
  /** TypeScript source of the entry module; its relative imports resolve from the repository root. */
  entry: string;
}

export interface Bundle {
  name: string;
  /** CommonJS, minified; without a `sourceMappingURL` comment (the package's `index.js` has it). */
  code: string;
  /** Source map of `code`; source paths relative to the repository root, no sources content. */
  sourceMap: string;
  /** Hex SHA-256 of code and map: equal hashes, identical deployment package. */
  sha256: string;
  /**
   * The deployment package as files, written once per distinct build: `index.js` (naming its map)
   * and `index.js.map`, in `<bundle directory>/<sha256>`; {@link lambdaCode} points at it.
   */
  directory: string;
  /** Size of `code` in bytes (the map not included). */
  bytes: number;
  /**
   * What makes up `code`: bytes in the output per npm package (`kafkajs`, `@scope/name`) or, for
   * this repository's own files, per top-level folder pair (`platform/runtime`), plus
   * {@link LEFT_OUT_SOURCE} and {@link LAZY_SOURCE}, largest first; from esbuild's metafile.
   */
  composition: readonly { source: string; bytes: number }[];
}

export interface BundleOptions {
  /** Where relative imports resolve and map paths are relative to. @default the repository root */
  root?: string;
  /** Imports left as `require()` calls for the runtime to provide. @default {@link AWS_SDK_EXTERNALS} */
  external?: string[];
  /**
   * Serve an identical earlier build from the in-process cache; `false` always runs esbuild
   * (to show two builds give the same bytes). @default true
   */
  cache?: boolean;
  /** Where packages are written, one folder per build. @default `$ENSEMBLE_BUNDLE_DIR`, else `.ensemble/bundles` in the repository */
  outDir?: string;
}

/** How many bundles this process built with esbuild, and how many it served from its cache. */
export interface BundleCacheStats {
  built: number;
  reused: number;
}

/**
 * Bundles one Lambda's code with esbuild, synchronously, while the program runs: no closure
 * serialization, one file per function. What no function runs is left out of the packages it
 * reaches (kafkajs' older protocol versions, and its admin and consumer where nothing creates
 * them; see platform/infra/bundle-trim.ts), the AWS SDK loads on first use, and platform modules
 * imported but unused are dropped (platform/infra/bundle-lazy.ts). The same sources give the same bytes wherever
 * the repository is checked out, so an unchanged function never shows a diff. Builds are cached
 * for the life of the process by root, entry and externals (checked against the files they
 * read), so functions sharing a handler module cost one esbuild run; {@link bundleCacheStats}
 * counts them.
 *
 * @example
 * const publisher = bundle({
 *   name: "orders-publisher",
 *   entry: `import orders from "./contexts/orders/context";
 *           import { milestoneHandler } from "./platform/runtime/publisher";
 *           export const handler = milestoneHandler(orders);`,
 * });
 * new aws.lambda.Function("ordersPublisher", {
 *   runtime: LAMBDA_RUNTIME,
 *   handler: LAMBDA_HANDLER,
 *   code: lambdaCode(publisher),
 *   environment: { variables: { ...LAMBDA_ENVIRONMENT } },
 *   // ...
 * });
 */
export function bundle(request: BundleRequest, options: BundleOptions = {}): Bundle {
  const { name, entry } = request;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new BundleError(`Bundle name "${name}" must be letters, digits, ".", "_" or "-": it names the entry file.`);
  }
  const root = options.root ?? REPO_ROOT;
  const external = options.external ?? [...AWS_SDK_EXTERNALS];

  // Functions with the same entry (consumer groups sharing a handler module) get the same
  // package: one esbuild run and one folder serve them all.
  const key = JSON.stringify([root, entry, external]);
  let built = options.cache === false ? undefined : builds.get(key);
  if (built && unchanged(root, built.inputs)) {
    cacheStats.reused++;
  } else {
    built = buildEntry(name, { entry, root, external });
    builds.set(key, built);
    cacheStats.built++;
  }

  const { code, sourceMap, sha256 } = built;
  const directory = writePackage(options.outDir ?? defaultOutDir(), built);
  return { name, code, sourceMap, sha256, directory, bytes: Buffer.byteLength(code), composition: built.composition };
}

/** The repository's `.ensemble/bundles` (git ignores it), unless `ENSEMBLE_BUNDLE_DIR` names another. */
function defaultOutDir(): string {
  return process.env.ENSEMBLE_BUNDLE_DIR || path.join(REPO_ROOT, ".ensemble", "bundles");
}

/**
 * Writes the package's files into `<outDir>/<sha256>` unless they are there: the name is the
 * content's hash, so a folder that exists holds these bytes. Written beside it and renamed into
 * place, so a program killed halfway leaves no half-written package under that name.
 */
function writePackage(outDir: string, built: Build): string {
  const directory = path.join(outDir, built.sha256);
  if (fs.existsSync(path.join(directory, PACKAGE_MAP))) return directory;
  fs.mkdirSync(outDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(outDir, `.${built.sha256.slice(0, 12)}-`));
  fs.chmodSync(staging, 0o755); // mkdtemp's 0700 would go into the package as the folder's mode
  fs.writeFileSync(path.join(staging, PACKAGE_CODE), `${built.code}//# sourceMappingURL=${PACKAGE_MAP}\n`);
  fs.writeFileSync(path.join(staging, PACKAGE_MAP), built.sourceMap);
  try {
    fs.renameSync(staging, directory);
  } catch (error) {
    // Another process wrote the same package first: its bytes are these.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(path.join(directory, PACKAGE_MAP))) throw error;
  }
  return directory;
}

/** The package's files: Lambda loads {@link PACKAGE_CODE}, which names {@link PACKAGE_MAP}. */
const PACKAGE_CODE = "index.js";
const PACKAGE_MAP = "index.js.map";

/** Bundles built and served from the in-process cache so far (see {@link bundle}). */
export function bundleCacheStats(): BundleCacheStats {
  return { ...cacheStats };
}

/**
 * The entry's file name in every build and map, so a build does not depend on the function's
 * name and functions with one entry share one package; build errors name `<function>.entry.ts`.
 */
const ENTRY_FILE = "lambda.entry.ts";

interface Build {
  code: string;
  /** The map, naming the entry {@link ENTRY_FILE}. */
  sourceMap: string;
  sha256: string;
  /** The files esbuild read, to tell a stale cache entry (a source edited in a long-lived process). */
  inputs: { file: string; mtimeMs: number; size: number }[];
  composition: Bundle["composition"];
}

const builds = new Map<string, Build>();
const cacheStats: BundleCacheStats = { built: 0, reused: 0 };

function buildEntry(name: string, { entry, root, external }: { entry: string; root: string; external: string[] }): Build {
  const result = build(name, {
    // Imported after the entry's own imports, so stack traces captured while they load (where a
    // definition was declared) cost nothing; from the first invocation on, traces are mapped.
    stdin: { contents: `${entry}\nimport ${JSON.stringify(STACK_TRACE_MODULE)};`, resolveDir: root, sourcefile: ENTRY_FILE, loader: "ts" },
    // Paths in the map (and in any message) are relative to this, not to the checkout's location.
    absWorkingDir: root,
    // Never written: it places the map's sources relative to the root.
    outfile: path.join(root, "index.js"),
    write: false,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Our errors set `this.name` explicitly (Lambda's errorType, what a workflow catches),
    // so minified class names change nothing a caller can see.
    minify: true,
    treeShaking: true,
    sourcemap: "external",
    // Stack traces need only positions; leaving the sources out halves the map.
    sourcesContent: false,
    legalComments: "none",
    external: [...external, TASK_IMPORTS],
    alias: { ...SDK_ALIASES },
    // What the model's definitions read to skip, inside a bundle, work only a checkout needs
    // (where a definition was declared: platform/model/source.ts).
    define: { [`process.env.${BUNDLED_VARIABLE}`]: JSON.stringify("1") },
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles.find((file) => file.path.endsWith(".js"))!.text;
  const sourceMap = result.outputFiles.find((file) => file.path.endsWith(".js.map"))!.text;
  const inputs = Object.keys(result.metafile?.inputs ?? {})
    .map((file) => path.resolve(root, file))
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ file, ...fileStamp(file) }));
  const sha256 = createHash("sha256").update(code).update("\0").update(sourceMap).digest("hex");
  return { code, sourceMap, sha256, inputs, composition: compositionOf(result.metafile) };
}

/** In a composition: the stand-ins for what platform/infra/bundle-trim.ts leaves out, and the loaders of lazy externals. */
export const LEFT_OUT_SOURCE = "(left-out stand-ins)";
export const LAZY_SOURCE = "(lazy external loaders)";

function compositionOf(metafile: Metafile | undefined): Bundle["composition"] {
  const output = Object.entries(metafile?.outputs ?? {}).find(([file]) => file.endsWith(".js"))?.[1];
  const bytes = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const source = file.startsWith("left-out:")
      ? LEFT_OUT_SOURCE
      : file.startsWith("lazy-external:")
        ? LAZY_SOURCE
        : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/"));
    bytes.set(source, (bytes.get(source) ?? 0) + input.bytesInOutput);
  }
  return [...bytes].map(([source, size]) => ({ source, bytes: size })).sort((a, b) => b.bytes - a.bytes || a.source.localeCompare(b.source));
}

function fileStamp(file: string): { mtimeMs: number; size: number } {
  const stat = fs.statSync(file);
  return { mtimeMs: stat.mtimeMs, size: stat.size };
}

function unchanged(root: string, inputs: Build["inputs"]): boolean {
  return fs.existsSync(root) && inputs.every(({ file, mtimeMs, size }) => {
    try {
      const now = fileStamp(file);
      return now.mtimeMs === mtimeMs && now.size === size;
    } catch {
      return false;
    }
  });
}

/**
 * The bundle as Lambda code: its package folder, `index.js` (which names its map) and
 * `index.js.map`, read by the bundle itself when it first formats a stack trace. A path, not the bytes: the
 * program hands Pulumi a few bytes per function however large the bundle, and the engine reads
 * and hashes the folder. Use it with {@link LAMBDA_HANDLER} and {@link LAMBDA_ENVIRONMENT}.
 *
 * @example
 * code: lambdaCode(bundle({ name: "notify-customer", entry: `export { handler } from "./consumers/notify-customer/handler";` }))
 */
export function lambdaCode(b: Bundle): pulumi.asset.FileArchive {
  return new pulumi.asset.FileArchive(b.directory);
}

/**
 * esbuild's output, with the parts of packages no function runs left out and the externals loaded
 * on first use (platform/infra/bundle-trim.ts); its errors as one {@link BundleError} naming the function.
 */
function build(name: string, options: BuildOptions & { absWorkingDir: string; external: string[] }): { outputFiles: Pick<OutputFile, "path" | "text">[]; metafile?: Metafile } {
  try {
    return buildTrimmedSync(options, options.external.filter((pattern) => pattern !== TASK_IMPORTS));
  } catch (error) {
    const messages = (error as Partial<BuildFailure>).errors;
    const detail = messages ? `\n${messages.map((m) => `  - ${formatMessage(m, name)}`).join("\n")}` : ` ${(error as Error).message}`;
    throw new BundleError(`Could not bundle Lambda "${name}":${detail}`, { cause: error });
  }
}

/** `file:line:column: text`, as editors and terminals link it (esbuild counts columns from 0). */
function formatMessage(message: Message, name: string): string {
  const file = message.location?.file === ENTRY_FILE ? `${name}.entry.ts` : message.location?.file;
  const where = message.location ? `${file}:${message.location.line}:${message.location.column + 1}: ` : "";
  return `${where}${message.text}`;
}
