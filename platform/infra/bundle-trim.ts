/*
 * What a Lambda bundle leaves out of the packages it reaches. esbuild bundles every module a
 * package requires, reachable or not: kafkajs brings every protocol API in every version, its
 * admin and consumer, four SASL mechanisms; the CloudEvents SDK its HTTP and MQTT bindings and a
 * BigInt JSON parser; zod its JSON Schema generator. None of that runs in our functions (each
 * reason in bundle-stubs/left-out.ts says why), so each such module becomes a stand-in of the
 * same shape whose functions throw LeftOutOfBundleError naming it. Two more are replaced by what
 * does the same job smaller: the CloudEvents SDK's copy of uuid (node:crypto's randomUUID) and
 * kafkajs' package.json (the one field it reads).
 *
 * This relies on the internal file layout of three packages: it is pinned to their versions
 * (PINNED), a build with any other version fails with a BundleError until the rules are checked
 * again, and test/unit/infra/bundle-trim.test.ts fails when a rule no longer matches a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { OnResolveArgs, Plugin } from "esbuild";
import type { LeftOutReason } from "./bundle-stubs/left-out";
import { BundleError } from "./errors";

/** The package versions whose file layout the rules below were written against. */
export const PINNED: Readonly<Record<string, string>> = { kafkajs: "2.2.4", cloudevents: "10.0.0", zod: "4.6.7" };

/** What the bundle's own code does with kafkajs: found by {@link kafkaUsesOf}. */
export interface KafkaUses {
  /** Calls `kafka.admin()`: the admin client and the requests it makes (metadata, offsets) stay. */
  readonly admin: boolean;
  /** Calls `kafka.consumer(...)`: the consumer group client and its requests stay. */
  readonly consumer: boolean;
}

/**
 * Whether a bundle's own sources (the repository's files it includes, not packages') create a
 * kafkajs admin or consumer: a plain search for any `.admin(` or `.consumer(` call, however its
 * arguments are written (a handler of the user's that makes one keeps it). A false positive costs
 * only bytes; a miss would cost a LeftOutOfBundle error naming the client on its first use.
 */
export function kafkaUsesOf(sources: readonly string[]): KafkaUses {
  return { admin: sources.some((text) => /\.admin\s*\(/.test(text)), consumer: sources.some((text) => /\.consumer\s*\(/.test(text)) };
}

/**
 * Request APIs no function of ours sends: administering topics, partitions, configs, ACLs and
 * groups is the infra's job (Pulumi) and the local runtime's; producers are idempotent, never
 * transactional.
 */
const NEVER_SENT = new Set([
  "createTopics", "deleteTopics", "deleteRecords", "createPartitions", "describeConfigs", "alterConfigs",
  "describeAcls", "createAcls", "deleteAcls", "listGroups", "describeGroups", "deleteGroups",
  "alterPartitionReassignments", "listPartitionReassignments",
  "addPartitionsToTxn", "addOffsetsToTxn", "endTxn", "txnOffsetCommit",
]);
/** Sent only by a consumer group member, or (listOffsets, offsetFetch) by admin's offset reads. */
const CONSUMER_OR_ADMIN = new Set(["fetch", "joinGroup", "heartbeat", "leaveGroup", "syncGroup", "offsetCommit", "offsetFetch", "listOffsets"]);
/** SASL mechanisms no function configures: MSK IAM is OAUTHBEARER; locally, none. */
const UNUSED_SASL = new Set(["plain", "scram256", "scram512", "awsIam"]);

interface Replacement {
  /** The module replaced: required at build time for its shape (an older-versions stand-in has none). */
  readonly file: string;
  readonly what: string;
  readonly reason: LeftOutReason;
}

/** The path of the stand-in for every older version of one request API: a function with `decode` and `parse`. */
const OLDER_VERSIONS = "older-versions";
/** zod's factories must return a function rather than throw: a stand-in written by hand. */
const ZOD_TO_JSON_SCHEMA_STUB = "platform/infra/bundle-stubs/zod-to-json-schema.ts";
/** The CloudEvents SDK calls only uuid's `v4`: node:crypto's, in a stand-in. */
const UUID_V4_STUB = "platform/infra/bundle-stubs/uuid-v4.ts";
const PACKAGE_BUGS = "package-bugs";
const LEFT_OUT_MODULE = "./platform/infra/bundle-stubs/left-out.ts";
const NAMESPACE = "left-out";

/** The plugin replacing what a function of this repository never runs with throwing stand-ins. */
export function bundleTrim(root: string, kafka: KafkaUses): Plugin {
  return {
    name: "ensemble-bundle-trim",
    setup(build) {
      checkPinnedVersions(path.join(root, "node_modules"));
      const highestVersions = new Map<string, number>();
      const consumerKept = kafka.consumer || kafka.admin;

      /** The replacement for `args`, an import inside a package, or undefined to bundle it as it is. */
      function replacementOf(args: OnResolveArgs): Replacement | undefined {
        const importer = args.importer.split(path.sep).join("/");
        const from = (file: string) => importer.endsWith(`/node_modules/${file}`);
        const file = () => require.resolve(args.path, { paths: [path.dirname(args.importer)] });
        const name = args.path.replace(/^\.\//, "");
        if (from("kafkajs/src/index.js")) {
          if (name === "admin" && !kafka.admin) return { file: file(), what: "kafkajs admin client", reason: "admin" };
          if (name === "consumer" && !consumerKept) return { file: file(), what: "kafkajs consumer", reason: "consumer" };
        }
        if (from("kafkajs/src/protocol/requests/index.js")) {
          if (NEVER_SENT.has(name)) return { file: file(), what: `kafkajs ${name} request`, reason: "administration" };
          if (CONSUMER_OR_ADMIN.has(name) && !consumerKept) return { file: file(), what: `kafkajs ${name} request`, reason: "consumerRequest" };
        }
        const version = /^\.\/v(\d+)\/(request|response)$/.exec(args.path);
        // ApiVersions is the exception: kafkajs tries its versions from the highest down.
        if (version && /\/node_modules\/kafkajs\/src\/protocol\/requests\/(?!apiVersions\/)[^/]+\/index\.js$/.test(importer)) {
          const folder = path.dirname(args.importer);
          if (!highestVersions.has(folder)) highestVersions.set(folder, Math.max(...(require(args.importer) as { versions: string[] }).versions.map(Number)));
          if (Number(version[1]) < highestVersions.get(folder)!) {
            return { file: path.join(folder, OLDER_VERSIONS), what: `an older version of the kafkajs ${path.basename(folder)} request`, reason: "olderVersion" };
          }
        }
        if (from("kafkajs/src/broker/saslAuthenticator/index.js") && UNUSED_SASL.has(name)) return { file: file(), what: `kafkajs SASL ${name} mechanism`, reason: "sasl" };
        if (from("cloudevents/dist/message/index.js") && (name === "http" || name === "mqtt")) return { file: file(), what: `the CloudEvents SDK's ${name.toUpperCase()} binding`, reason: "http" };
        if (from("cloudevents/dist/index.js") && name === "transport/http") return { file: file(), what: "the CloudEvents SDK's HTTP transport", reason: "http" };
        if (from("cloudevents/dist/parsers.js") && name === "json-bigint") return { file: file(), what: "json-bigint (the CloudEvents SDK's BigInt JSON parser)", reason: "bigInt" };
        return undefined;
      }

      // Packages require their own files by relative paths; the CloudEvents SDK json-bigint and uuid by name.
      // Only specifiers some rule could replace reach this callback (a JavaScript call per import was a build's biggest cost).
      const named = [...NEVER_SENT, ...CONSUMER_OR_ADMIN, ...UNUSED_SASL, "admin", "consumer", "http", "mqtt", "transport/http"];
      const filter = new RegExp(`^\\./(${named.join("|")}|v\\d+/(request|response))$|^(json-bigint|uuid)$|/to-json-schema\\.js$|^\\.\\./package\\.json$`);
      build.onResolve({ filter }, (args) => {
        if (!args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const importer = args.importer.split(path.sep).join("/");
        if (/\/node_modules\/zod\/v4\/(core|classic)\/[^/]+\.js$/.test(importer) && args.path.endsWith("/to-json-schema.js")) return { path: path.join(root, ZOD_TO_JSON_SCHEMA_STUB) };
        if (importer.endsWith("/node_modules/cloudevents/dist/event/cloudevent.js") && args.path === "uuid") return { path: path.join(root, UUID_V4_STUB) };
        // kafkajs' errors read only `bugs` of its package.json (4 KB): the rest stays out.
        if (importer.endsWith("/node_modules/kafkajs/src/errors.js") && args.path === "../package.json") return { path: args.path, namespace: PACKAGE_BUGS, pluginData: path.resolve(path.dirname(args.importer), args.path) };
        const replacement = replacementOf(args);
        return replacement ? { path: path.relative(root, replacement.file).split(path.sep).join("/"), namespace: NAMESPACE, pluginData: replacement } : undefined;
      });

      build.onLoad({ filter: /.*/, namespace: PACKAGE_BUGS }, (args) => {
        const { bugs } = JSON.parse(fs.readFileSync(args.pluginData as string, "utf8")) as { bugs?: unknown };
        return { contents: JSON.stringify({ bugs }), loader: "json" };
      });

      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const { file, what, reason } = args.pluginData as Replacement;
        const shape = path.basename(file) === OLDER_VERSIONS ? undefined : (require(file) as unknown);
        const exported = shape === undefined ? `Object.assign(leftOut(what, reason), { decode: leftOut(what, reason), parse: leftOut(what, reason) })` : shapeOf(shape, 2);
        const contents = `const { leftOut } = require(${JSON.stringify(LEFT_OUT_MODULE)});\nconst what = ${JSON.stringify(what)}, reason = ${JSON.stringify(reason)};\nmodule.exports = ${exported};\n`;
        return { contents, loader: "js", resolveDir: root };
      });
    },
  };
}

/**
 * Source of a stand-in with `value`'s shape: its functions throw, its data stays (kafkajs' request
 * tables list their versions), `depth` levels of objects deep.
 */
function shapeOf(value: unknown, depth: number): string {
  if (typeof value === "function") return "leftOut(what, reason)";
  if (value === null || typeof value !== "object" || Array.isArray(value) || depth === 0) return JSON.stringify(value) ?? "undefined";
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}: ${shapeOf((value as Record<string, unknown>)[key], depth - 1)}`);
  return `{ ${entries.join(", ")} }`;
}

/** Fails the build when a package the rules rely on is not the version they were written for. */
export function checkPinnedVersions(nodeModules: string): void {
  for (const [name, version] of Object.entries(PINNED)) {
    const manifest = path.join(nodeModules, name, "package.json");
    if (!fs.existsSync(manifest)) continue;
    const installed = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
    if (installed !== version) {
      throw new BundleError(
        `platform/infra/bundle-trim.ts leaves parts of ${name} ${version} out of Lambda bundles by their file names, but ${name} ${installed} is installed: ` +
          `check its rules against the new version's files, run test/unit/infra/bundle-trim.test.ts, then update PINNED.`,
      );
    }
  }
}
