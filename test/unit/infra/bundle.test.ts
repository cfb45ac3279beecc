import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  type Bundle,
  bundle,
  bundleCacheStats,
  BundleError,
  LAMBDA_ENVIRONMENT,
  LAMBDA_HANDLER,
  lambdaCode,
  LEFT_OUT_SOURCE,
} from "../../../platform/infra/bundle";
import { type FunctionKind, functionEntries } from "../../../platform/infra/function-entries";
import { MilestoneErrors } from "../../../platform/runtime/errors";
import { topology } from "../../../topology";

const ROOT = path.resolve(__dirname, "../../..");

/** The entries the infra generates for the topology: every task, publisher and consumer group. */
const FUNCTIONS = functionEntries(topology, "dev");
const ENTRIES: Record<string, string> = Object.fromEntries(FUNCTIONS.map((f) => [f.functionName, f.entry]));
const KINDS: Record<string, FunctionKind> = Object.fromEntries(FUNCTIONS.map((f) => [f.functionName, f.kind]));

/**
 * Code only, per kind of function: a ratchet just above today's sizes (publishers 363.0–365.5 KiB,
 * consumers 356.1–366.7 KiB, tasks 2.4–4.3 KiB; `npm run bundles -- --composition` shows what
 * makes them up), so growth is a decision rather than an accident; bundling the AWS SDK by mistake
 * adds 0.5–0.6 MB. platform/infra/bundle-trim.ts took ~100 KB off publishers and, with the platform
 * modules a consumer imported through the runtime's barrel but never used (the milestone
 * publisher; platform/infra/bundle-lazy.ts), ~185 KB off consumers: kafkajs' older request
 * versions, unused APIs and SASL mechanisms, a consumer's kafkajs admin and consumer, the
 * CloudEvents SDK's HTTP binding and BigInt parser, zod's JSON Schema generator. What remains is
 * bounded by kafkajs' producer (~110 KB), zod (~80 KB), a publisher's kafkajs admin and consumer
 * (its published-check, ~80 KB with their requests) and a consumer's Powertools idempotency and
 * logger (~55 KB). Sizes are deterministic: the same sources, the same bytes.
 */
const CODE_BUDGET_BYTES: Record<FunctionKind, number> = { task: 8 * 1024, publisher: 370 * 1024, consumer: 372 * 1024 };

/**
 * Files of packages no function runs, left out by platform/infra/bundle-trim.ts: absent from the
 * map's sources of every bundle reaching the package (per kind where it depends on the function).
 */
const LEFT_OUT_FILES = [
  "node_modules/kafkajs/src/protocol/requests/produce/v0/request.js",
  "node_modules/kafkajs/src/protocol/requests/metadata/v0/request.js",
  "node_modules/kafkajs/src/protocol/requests/createTopics/index.js",
  "node_modules/kafkajs/src/protocol/requests/describeAcls/index.js",
  "node_modules/kafkajs/src/protocol/requests/endTxn/index.js",
  "node_modules/kafkajs/src/broker/saslAuthenticator/scram.js",
  "node_modules/cloudevents/dist/message/http/index.js",
  "node_modules/cloudevents/dist/transport/http/index.js",
  "node_modules/json-bigint/index.js",
  "node_modules/bignumber.js/bignumber.js",
  "node_modules/zod/v4/core/to-json-schema.js",
];
/** Left out of consumer groups only: the publisher's published-check reads the topic with them. */
const LEFT_OUT_OF_CONSUMERS = [
  "node_modules/kafkajs/src/admin/index.js",
  "node_modules/kafkajs/src/consumer/consumerGroup.js",
  "node_modules/kafkajs/src/protocol/requests/fetch/index.js",
  "node_modules/kafkajs/src/protocol/requests/joinGroup/index.js",
  "platform/runtime/publisher.ts",
];

/** Sizes and build times, for test-results/bundle-sizes.json (the tests print nothing). */
const measured: Record<string, { codeBytes: number; mapBytes: number; buildMs: number[] }> = {};
const built = new Map<string, Bundle>();
const temporary: string[] = [];

function timedBundle(name: string, options?: Parameters<typeof bundle>[1]): Bundle {
  const started = performance.now();
  // Real esbuild runs, unless a test asks for the cache: comparing two cache hits proves nothing.
  const b = bundle({ name, entry: ENTRIES[name]! }, { cache: false, ...options });
  const entry = (measured[name] ??= { codeBytes: b.bytes, mapBytes: Buffer.byteLength(b.sourceMap), buildMs: [] });
  entry.buildMs.push(Math.round(performance.now() - started));
  return b;
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ensemble-${prefix}-`));
  temporary.push(dir);
  return dir;
}

/**
 * A directory shaped like a deployed function: the files of `lambdaCode(b)` (its package folder), plus the AWS SDK v3
 * the nodejs22.x runtime provides (the repository's, without the deprecated util-utf8-browser
 * current SDK releases no longer ship). Nothing else from node_modules is reachable, so a
 * package the bundle leaves out by mistake fails to load here.
 */
async function deploy(b: Bundle): Promise<string> {
  const dir = tempDir(b.name);
  fs.cpSync(b.directory, dir, { recursive: true });
  const sdk = path.join(dir, "node_modules", "@aws-sdk");
  fs.mkdirSync(sdk, { recursive: true });
  for (const pkg of fs.readdirSync(path.join(ROOT, "node_modules", "@aws-sdk"))) {
    if (pkg !== "util-utf8-browser") fs.symlinkSync(path.join(ROOT, "node_modules", "@aws-sdk", pkg), path.join(sdk, pkg));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules", "@smithy"), path.join(dir, "node_modules", "@smithy"));
  return dir;
}

/** Runs `script` in a plain Node process in `dir`, with the function's environment; returns its JSON output. */
function runIn(dir: string, script: string): Record<string, unknown> {
  const output = execFileSync(process.execPath, ["-e", script], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...LAMBDA_ENVIRONMENT, KAFKA_BROKERS: "127.0.0.1:1", POWERTOOLS_LOG_LEVEL: "SILENT" },
    encoding: "utf8",
    // stderr goes into the error a failure throws, not onto the test output.
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  return JSON.parse(output) as Record<string, unknown>;
}

/** Hard-links (or, across file systems, copies) a file or tree, so a checkout can be cloned cheaply. */
function linkTree(source: string, target: string): void {
  const stat = fs.lstatSync(source);
  if (stat.isDirectory()) {
    fs.mkdirSync(target, { recursive: true });
    for (const entry of fs.readdirSync(source)) linkTree(path.join(source, entry), path.join(target, entry));
  } else if (stat.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(source), target);
  } else {
    try {
      fs.linkSync(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      fs.copyFileSync(source, target);
    }
  }
}

afterAll(() => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  const results = path.join(ROOT, "test-results");
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, "bundle-sizes.json"), `${JSON.stringify(measured, null, 2)}\n`);
});

describe.each(Object.keys(ENTRIES))("the bundle of %s", (name) => {
  it("builds to the same bytes twice, within its kind's size budget, its composition adding up", () => {
    // Act
    const first = timedBundle(name);
    const second = timedBundle(name);
    built.set(name, first);

    // Assess
    expect(second.sha256).toBe(first.sha256);
    expect(second.code).toBe(first.code);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.bytes).toBe(Buffer.byteLength(first.code));
    expect({ kind: KINDS[name], bytes: first.bytes, withinBudget: first.bytes <= CODE_BUDGET_BYTES[KINDS[name]!] }).toEqual({ kind: KINDS[name], bytes: first.bytes, withinBudget: true });
    // Every byte is someone's, save esbuild's own module wrappers (under 1 KB, or a tenth); no AWS SDK among them.
    const unaccounted = first.bytes - first.composition.reduce((sum, part) => sum + part.bytes, 0);
    expect(unaccounted).toBeGreaterThanOrEqual(0);
    expect(unaccounted).toBeLessThan(Math.max(1024, first.bytes / 10));
    expect(first.composition.filter((part) => /^@aws-sdk\/|^@smithy\//.test(part.source))).toEqual([]);
    // The signer's STS client and pure-JavaScript SHA-256 are replaced (platform/infra/bundle-stubs/)
    expect(first.composition.map((part) => part.source)).not.toContain("@aws-crypto/sha256-js");
    expect({ requiresSts: first.code.includes('require("@aws-sdk/client-sts")') }).toEqual({ requiresSts: false });
    // What no function runs is left out (platform/infra/bundle-trim.ts), stand-ins in its place.
    const sources = (JSON.parse(first.sourceMap) as { sources: string[] }).sources;
    if (KINDS[name] !== "task") {
      const leftOut = [...LEFT_OUT_FILES, ...(KINDS[name] === "consumer" ? LEFT_OUT_OF_CONSUMERS : [])];
      expect(sources.filter((source) => leftOut.includes(source))).toEqual([]);
      expect(first.composition.map((part) => part.source)).toEqual(expect.arrayContaining([LEFT_OUT_SOURCE, "kafkajs", "zod"]));
      expect(first.composition.map((part) => part.source)).not.toEqual(expect.arrayContaining(["json-bigint"]));
      expect(first.composition.map((part) => part.source)).not.toEqual(expect.arrayContaining(["bignumber.js"]));
    }
    if (KINDS[name] === "publisher") expect(sources).toContain("node_modules/kafkajs/src/admin/index.js");
  });

  it("holds no path of this checkout: map sources are relative to the repository root", () => {
    const b = built.get(name) ?? timedBundle(name);
    const map = JSON.parse(b.sourceMap) as { sources: string[]; sourcesContent?: unknown };

    expect(b.code).not.toContain(ROOT);
    expect(b.sourceMap).not.toContain(ROOT);
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources).toContain("lambda.entry.ts");
    expect(map.sources.some((source) => /^(contexts|consumers|platform)\//.test(source))).toBe(true);
    expect(map.sources.filter((source) => path.isAbsolute(source) || source.startsWith(".."))).toEqual([]);
  });

  it("loads in plain Node with only the AWS SDK beside it, exporting a handler; the SDK packages it names load on first use, and resolve", async () => {
    // Prepare
    const dir = await deploy(built.get(name) ?? timedBundle(name));

    // Act: what is loaded at init (no idempotency table in this environment), then every SDK package the bundle names
    const loaded = runIn(
      dir,
      `const m = require("./index.js");
       const sdkAtInit = Object.keys(require.cache).filter((file) => file.includes("/node_modules/@aws-sdk/") || file.includes("/node_modules/@smithy/")).length;
       const named = [...new Set(require("node:fs").readFileSync("./index.js", "utf8").match(/(?<=require\\(")@(aws-sdk|smithy)\\/[^"]+(?="\\))/g) ?? [])];
       const unresolved = named.filter((pkg) => { try { require(pkg); return false; } catch { return true; } });
       process.stdout.write(JSON.stringify({ handler: typeof m.handler, sdkAtInit, unresolved }));`,
    );

    // Assess
    expect(loaded).toEqual({ handler: "function", sdkAtInit: 0, unresolved: [] });
  }, 30_000);
});

describe("bundles", () => {
  it("are byte-identical when built from a checkout somewhere else", () => {
    // Prepare: the parts of the repository a build reads, hard-linked under a temp dir.
    const elsewhere = tempDir("checkout");
    for (const part of ["package.json", "tsconfig.json", "node_modules", "contexts", "consumers", "invariants", "platform"]) {
      linkTree(path.join(ROOT, part), path.join(elsewhere, part));
    }

    for (const name of Object.keys(ENTRIES)) {
      // Act
      const here = bundle({ name, entry: ENTRIES[name]! });
      const there = bundle({ name, entry: ENTRIES[name]! }, { root: elsewhere });

      // Assess
      expect({ name, sha256: there.sha256 }).toEqual({ name, sha256: here.sha256 });
      expect(there.sourceMap).not.toContain(elsewhere);
    }
  }, 60_000);

  it("fail with a BundleError naming the function, the entry's line and the missing module", () => {
    // Act
    let thrown: unknown;
    try {
      bundle({ name: "broken", entry: `import { handler } from "./platform/runtime/nope";\nexport { handler };` });
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(BundleError);
    expect(thrown).toMatchObject({
      name: "BundleError",
      message: `Could not bundle Lambda "broken":\n  - broken.entry.ts:1:25: Could not resolve "./platform/runtime/nope"`,
      cause: expect.objectContaining({ errors: [expect.objectContaining({ text: `Could not resolve "./platform/runtime/nope"` })] }),
    });
  });

  it("refuse a name that cannot name a file", () => {
    expect(() => bundle({ name: "../escape", entry: "" })).toThrow(/Bundle name "\.\.\/escape" must be letters, digits/);
  });

  it("share one build and one package between functions with the same entry, byte-identical to a build of its own", () => {
    // Prepare: an entry no other test builds, and a copy of the module with an empty cache
    const entry = `export { handler } from "./consumers/analytics/handler";\n// shared`;
    let fresh!: typeof bundle;
    jest.isolateModules(() => {
      fresh = (require("../../../platform/infra/bundle") as typeof import("../../../platform/infra/bundle")).bundle;
    });
    const before = bundleCacheStats();

    // Act
    const first = bundle({ name: "dev-group-a", entry });
    const second = bundle({ name: "2nd_group.b", entry });

    // Assess
    expect(bundleCacheStats()).toEqual({ built: before.built + 1, reused: before.reused + 1 });
    expect({ code: second.code === first.code, map: second.sourceMap === first.sourceMap, directory: second.directory }).toEqual({ code: true, map: true, directory: first.directory });
    expect(second.sha256).toBe(fresh({ name: "2nd_group.b", entry }).sha256);
    expect(first.sha256).toBe(fresh({ name: "dev-group-a", entry }).sha256);
  });
});

describe("the bundled milestone publisher", () => {
  it("rejects invalid input with Milestone.InvalidInput before any broker, its stack mapped to the TypeScript source", async () => {
    // Prepare
    const dir = await deploy(built.get("dev-orders-publisher") ?? timedBundle("dev-orders-publisher"));

    // Act
    const result = runIn(
      dir,
      `require("./index.js").handler({ type: "orders.OrderPlaced" }).then(
        (value) => process.stdout.write(JSON.stringify({ resolved: value })),
        (error) => process.stdout.write(JSON.stringify({ name: error.name, message: error.message, stack: error.stack })),
      );`,
    );

    // Assess
    expect(result).toMatchObject({
      name: MilestoneErrors.InvalidInput,
      message: expect.stringContaining(`Milestone task input orders.OrderPlaced for context "orders" (topic orders.events) is invalid: `),
      stack: expect.stringMatching(/platform\/runtime\/publisher\.ts:\d+:\d+/),
    });
  }, 30_000);
});

describe("a bundle's stack traces", () => {
  it("are mapped to the TypeScript sources, the map read on the first trace formatted and never while the bundle loads", async () => {
    // Prepare
    const dir = await deploy(built.get("dev-orders-publisher") ?? timedBundle("dev-orders-publisher"));

    // Act: count reads of the map around loading the bundle and formatting two traces
    const result = runIn(
      dir,
      `const fs = require("node:fs");
      const reads = [];
      const read = fs.readFileSync;
      fs.readFileSync = (file, ...rest) => (String(file).endsWith("index.js.map") && reads.push(String(file)), read(file, ...rest));
      require("./index.js");
      const afterLoad = reads.length;
      const first = new Error("one").stack;
      const second = new Error("two").stack;
      process.stdout.write(JSON.stringify({ afterLoad, afterTraces: reads.length, first: first.split("\\n")[0], second: second.split("\\n")[0] }));`,
    );
    const stack = runIn(dir, `require("./index.js").handler({}).catch((error) => process.stdout.write(JSON.stringify({ stack: error.stack })));`).stack as string;

    // Assess
    expect(result).toEqual({ afterLoad: 0, afterTraces: 1, first: "Error: one", second: "Error: two" });
    expect(stack.split("\n")[0]).toMatch(/^Milestone\.InvalidInput: Milestone task input/);
    expect(stack.split("\n")[1]).toMatch(new RegExp(`^    at \\S+ \\(${escape(dir)}/platform/runtime/publisher\\.ts:\\d+:\\d+\\)$`));
  }, 30_000);
});

/** `text` as a literal in a RegExp. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("lambdaCode", () => {
  it("is the package folder: index.js naming its map, and index.js.map, for handler index.handler", async () => {
    // Prepare
    const outDir = tempDir("packages");
    const b = bundle({ name: "dev-orders-ValidateOrder", entry: ENTRIES["dev-orders-ValidateOrder"]! }, { outDir });

    // Act
    const archive = lambdaCode(b);
    const again = bundle({ name: "prod-orders-ValidateOrder", entry: ENTRIES["dev-orders-ValidateOrder"]! }, { outDir });

    // Assess: one folder per build, named for its content; its files are the bundle's bytes
    expect(archive).toBeInstanceOf(pulumi.asset.FileArchive);
    expect(await archive.path).toBe(path.join(outDir, b.sha256));
    expect(fs.readdirSync(outDir)).toEqual([b.sha256]);
    expect(again.directory).toBe(b.directory);
    expect(fs.readdirSync(b.directory).sort()).toEqual(["index.js", "index.js.map"]);
    expect(fs.readFileSync(path.join(b.directory, "index.js"), "utf8")).toBe(`${b.code}//# sourceMappingURL=index.js.map\n`);
    expect(fs.readFileSync(path.join(b.directory, "index.js.map"), "utf8")).toBe(b.sourceMap);
    expect(LAMBDA_HANDLER).toBe("index.handler");
    // No NODE_OPTIONS: the bundle maps its own stack traces, lazily (platform/runtime/lazy-source-maps.ts)
    expect(LAMBDA_ENVIRONMENT).toEqual({});
  });
});
