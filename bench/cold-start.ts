import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { type Bundle, bundle, bundleCacheStats, LAMBDA_ENVIRONMENT } from "../platform/infra/bundle";
import { functionEntries } from "../platform/infra/function-entries";
import { FunctionEnvironment } from "../platform/model/function-environment";
import { topology } from "../topology";
import type { Section, SectionContext } from "./harness";
import { ratio, type Table } from "./report";
import { median, round } from "./stats";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
const EMPTY = "(empty handler)";

/**
 * What Lambda loads first: the handler module, timed from inside a fresh process; then every AWS
 * SDK package the bundle names, which it loads on first use (platform/infra/bundle-lazy.ts): what
 * a first invocation can add at most (on AWS the publisher's first connect loads the MSK IAM
 * signer's; a consumer's idempotency store its DynamoDB client, at init).
 */
const LOAD_SCRIPT = `const t0 = performance.now(); require("./index.js"); const t1 = performance.now();
const sdk = new Set(require("node:fs").readFileSync("./index.js", "utf8").match(/(?<=require\\(")@(aws-sdk|smithy)\\/[^"]+(?="\\))/g) ?? []);
for (const name of sdk) require(name);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ initMs: t1 - t0, withSdkMs: t2 - t0, processMs: t1 }));`;

/**
 * The environment the infra sets on a deployed function (platform/infra/bounded-context.ts,
 * consumer-group.ts), with made-up values: what a function reads at init decides what it loads
 * then (a consumer's idempotency table, its DynamoDB client). Nothing connects during init.
 */
const DEPLOYED_ENVIRONMENT: Readonly<Record<string, string>> = {
  [FunctionEnvironment.KafkaBrokers]: "b-1.bench.kafka.eu-west-1.amazonaws.com:9098",
  [FunctionEnvironment.KafkaAuth]: "iam",
  [FunctionEnvironment.IdempotencyTable]: "bench-idempotency",
  [FunctionEnvironment.IdempotencyTtlSeconds]: "86400",
  [FunctionEnvironment.StartStateMachineArn]: "arn:aws:states:eu-west-1:123456789012:stateMachine:bench",
  [FunctionEnvironment.WaitTable]: "bench-waits",
  [FunctionEnvironment.InvariantTable]: "bench-invariants",
  [FunctionEnvironment.InvariantKeepSeconds]: "86400",
  [FunctionEnvironment.ViolationTopic]: "bench.violations",
  [FunctionEnvironment.StateMachineArn]: "arn:aws:states:eu-west-1:123456789012:stateMachine:bench",
  [FunctionEnvironment.PublishCheckGroupPrefix]: "bench.publish-check",
};

export interface ColdStartRow {
  readonly function: string;
  readonly codeBytes: number;
  readonly mapBytes: number;
  /**
   * Median ms to require() the bundle as deployed (its stack traces mapped lazily, on the first
   * one formatted), with NODE_OPTIONS=--enable-source-maps (Node parses the map at load), and as
   * deployed followed by every AWS SDK package the bundle loads on first use.
   */
  readonly initMs: { readonly asDeployed: number; readonly eagerSourceMaps: number; readonly withSdk: number };
  /** Median ms from process start to the bundle loaded, as deployed: node's own start-up included. */
  readonly processMs: number;
}

/**
 * Cold start proxy: every Lambda bundle the topology deploys, its size, and the time to require()
 * it in a fresh `node` with only the AWS SDK beside it (as the nodejs22.x runtime provides it),
 * against an empty handler bundled the same way.
 */
export const coldStartSection: Section = {
  name: "cold-start",
  needsBroker: false,
  async run(context) {
    const started = performance.now();
    const entries = [{ functionName: EMPTY, entry: "export const handler = async () => ({});" }, ...functionEntries(topology, "bench")];
    const bundles = entries.map(({ functionName, entry }) => bundle({ name: functionName === EMPTY ? "bench-empty" : functionName, entry }));
    const buildSeconds = (performance.now() - started) / 1000;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-bench-cold-"));
    try {
      provideAwsSdk(root);
      const dirs = await Promise.all(bundles.map((b) => deploy(root, b)));
      const samples = await sample(context, dirs, context.options.coldStartRuns);
      const rows: ColdStartRow[] = bundles.map((b, i) => ({
        function: entries[i]!.functionName,
        codeBytes: b.bytes,
        mapBytes: Buffer.byteLength(b.sourceMap),
        initMs: {
          asDeployed: round(median(samples[i]!.deployed.map((s) => s.initMs))),
          eagerSourceMaps: round(median(samples[i]!.eager.map((s) => s.initMs))),
          withSdk: round(median(samples[i]!.deployed.map((s) => s.withSdkMs))),
        },
        processMs: round(median(samples[i]!.deployed.map((s) => s.processMs))),
      }));
      const [empty, ...functions] = rows;
      return {
        data: { runs: context.options.coldStartRuns, buildSeconds: round(buildSeconds), bundleCache: bundleCacheStats(), baseline: empty, functions },
        tables: [coldStartTable(empty!, functions, context.options.coldStartRuns)],
      };
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};

function coldStartTable(empty: ColdStartRow, functions: readonly ColdStartRow[], runs: number): Table {
  const kb = (bytes: number) => round(bytes / 1024);
  return {
    title: `Cold start proxy: bundle size and module init (require) time, median of ${runs} fresh node processes`,
    columns: ["function", "code KB", "map KB", "init ms", "vs empty", "init + SDK ms", "eager maps ms", "vs empty", "loaded at ms", "vs empty"],
    rows: [empty, ...functions].map((row) => [
      row.function,
      kb(row.codeBytes),
      kb(row.mapBytes),
      row.initMs.asDeployed,
      ratio(row.initMs.asDeployed, empty.initMs.asDeployed),
      row.initMs.withSdk,
      row.initMs.eagerSourceMaps,
      ratio(row.initMs.eagerSourceMaps, empty.initMs.eagerSourceMaps),
      row.processMs,
      ratio(row.processMs, empty.processMs),
    ]),
    note:
      "init ms: require() of the bundle as deployed (the infra's environment; stack traces mapped lazily, on the first one formatted); " +
      "init + SDK ms: then every AWS SDK package the bundle loads on first use, what a first invocation can add at most; eager maps ms: with " +
      "NODE_OPTIONS=--enable-source-maps, which parses the map at load; loaded at ms: process start to the bundle loaded (node's " +
      "start-up included), as deployed. Baseline: an empty handler bundled the same way.",
  };
}

/**
 * The SDK the nodejs22.x runtime provides, once for every function directory below `root`: the
 * repository's @aws-sdk and @smithy packages, without the deprecated util-utf8-browser the
 * runtime no longer ships (as test/unit/infra/bundle.test.ts deploys a bundle).
 */
function provideAwsSdk(root: string): void {
  const sdk = path.join(root, "node_modules", "@aws-sdk");
  fs.mkdirSync(sdk, { recursive: true });
  for (const pkg of fs.readdirSync(path.join(ROOT, "node_modules", "@aws-sdk"))) {
    if (pkg !== "util-utf8-browser") fs.symlinkSync(path.join(ROOT, "node_modules", "@aws-sdk", pkg), path.join(sdk, pkg));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules", "@smithy"), path.join(root, "node_modules", "@smithy"));
}

/** The files of `lambdaCode(b)` (its package folder), as Lambda unpacks them. */
function deploy(root: string, b: Bundle): string {
  const dir = path.join(root, b.name);
  fs.cpSync(b.directory, dir, { recursive: true });
  return dir;
}

interface Sample {
  readonly initMs: number;
  readonly withSdkMs: number;
  readonly processMs: number;
}

/** Round-robin over functions and settings, so a busy moment spreads over all of them. */
async function sample(context: SectionContext, dirs: readonly string[], runs: number): Promise<{ deployed: Sample[]; eager: Sample[] }[]> {
  const samples = dirs.map(() => ({ deployed: [] as Sample[], eager: [] as Sample[] }));
  for (let round = 0; round < runs; round++) {
    for (const [i, dir] of dirs.entries()) {
      samples[i]!.deployed.push(await load(dir, false));
      samples[i]!.eager.push(await load(dir, true));
    }
    context.log(`cold start: run ${round + 1} of ${runs} done`);
  }
  return samples;
}

async function load(dir: string, eagerSourceMaps: boolean): Promise<Sample> {
  // Powertools and the runtime read these at load; nothing connects during init.
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: "eu-west-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ...DEPLOYED_ENVIRONMENT,
    ...LAMBDA_ENVIRONMENT,
    ...(eagerSourceMaps ? { NODE_OPTIONS: "--enable-source-maps" } : {}),
  };
  const { stdout } = await run(process.execPath, ["-e", LOAD_SCRIPT], { cwd: dir, env, timeout: 60_000 });
  return JSON.parse(stdout) as Sample;
}
