import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type BuildFailure, type BuildOptions, buildSync, type Message, type OutputFile } from "esbuild";

/** The Lambda runtime the bundles target (esbuild's `target` follows it). */
export const LAMBDA_RUNTIME = "nodejs22.x";

/** The handler setting for code from {@link lambdaCode}: `index.js`, export `handler`. */
export const LAMBDA_HANDLER = "index.handler";

/**
 * Environment to set on every bundled function: Node maps stack traces through `index.js.map`,
 * so errors in the logs point at the TypeScript sources (`platform/runtime/publisher.ts:99`).
 * Node reads the map when it loads the code, which adds roughly 60–80 ms to a cold start.
 */
export const LAMBDA_ENVIRONMENT = { NODE_OPTIONS: "--enable-source-maps" } as const;

/**
 * Left out of the bundle by default: the `nodejs22.x` runtime provides AWS SDK v3 (`@aws-sdk/*`
 * and the `@smithy/*` packages it is built on), and bundling it adds 0.5–0.6 MB per function.
 * The price: functions run the runtime's SDK version, not the lockfile's, and a package the
 * runtime does not ship fails at cold start (one is aliased below). Pass `external: []` to
 * bundle a pinned SDK instead.
 */
export const AWS_SDK_EXTERNALS: readonly string[] = ["@aws-sdk/*", "@smithy/*"];

/**
 * `@aws-crypto/util` (reached through aws-msk-iam-sasl-signer-js) still requires the deprecated
 * `@aws-sdk/util-utf8-browser`, which current SDK v3 releases, and so the runtime, no longer
 * ship; with `@aws-sdk/*` external, that `require` would fail at cold start. Its successor
 * `@smithy/util-utf8` has the same functions and every SDK client depends on it.
 */
const SDK_ALIASES: Readonly<Record<string, string>> = { "@aws-sdk/util-utf8-browser": "@smithy/util-utf8" };

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
  /** CommonJS, minified; without a `sourceMappingURL` comment ({@link lambdaCode} adds it). */
  code: string;
  /** Source map of `code`; source paths relative to the repository root, no sources content. */
  sourceMap: string;
  /** Hex SHA-256 of code and map: equal hashes, identical deployment package. */
  sha256: string;
  /** Size of `code` in bytes (the map not included). */
  bytes: number;
}

export interface BundleOptions {
  /** Where relative imports resolve and map paths are relative to. @default the repository root */
  root?: string;
  /** Imports left as `require()` calls for the runtime to provide. @default {@link AWS_SDK_EXTERNALS} */
  external?: string[];
}

/** A Lambda's code could not be bundled; the message lists esbuild's errors with file:line. */
export class BundleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BundleError";
  }
}

/**
 * Bundles one Lambda's code with esbuild, synchronously, while the program runs: no closure
 * serialization, one file per function. The same sources give the same bytes wherever
 * the repository is checked out, so an unchanged function never shows a diff.
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

  const outputFiles = build(name, {
    stdin: { contents: entry, resolveDir: root, sourcefile: `${name}.entry.ts`, loader: "ts" },
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
    external: options.external ?? [...AWS_SDK_EXTERNALS],
    alias: { ...SDK_ALIASES },
    logLevel: "silent",
  });

  const code = outputFiles.find((file) => file.path.endsWith(".js"))!.text;
  const sourceMap = outputFiles.find((file) => file.path.endsWith(".js.map"))!.text;
  const sha256 = createHash("sha256").update(code).update("\0").update(sourceMap).digest("hex");
  return { name, code, sourceMap, sha256, bytes: Buffer.byteLength(code) };
}

/**
 * The bundle as Lambda code: `index.js`, which names its map so `NODE_OPTIONS=--enable-source-maps`
 * finds it, and `index.js.map`. Use it with {@link LAMBDA_HANDLER} and {@link LAMBDA_ENVIRONMENT}.
 *
 * @example
 * code: lambdaCode(bundle({ name: "notify-customer", entry: `export { handler } from "./consumers/notify-customer/handler";` }))
 */
export function lambdaCode(b: Bundle): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(`${b.code}//# sourceMappingURL=index.js.map\n`),
    "index.js.map": new pulumi.asset.StringAsset(b.sourceMap),
  });
}

/** esbuild's output files; its errors as one {@link BundleError} naming the function. */
function build(name: string, options: BuildOptions & { write: false }): OutputFile[] {
  try {
    return buildSync(options).outputFiles;
  } catch (error) {
    const messages = (error as Partial<BuildFailure>).errors;
    const detail = messages ? `\n${messages.map((m) => `  - ${formatMessage(m)}`).join("\n")}` : ` ${(error as Error).message}`;
    throw new BundleError(`Could not bundle Lambda "${name}":${detail}`, { cause: error });
  }
}

/** `file:line:column: text`, as editors and terminals link it (esbuild counts columns from 0). */
function formatMessage(message: Message): string {
  const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: ` : "";
  return `${where}${message.text}`;
}
