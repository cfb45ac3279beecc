/*
 * Two esbuild plugins that keep work out of a Lambda's init: externals (the AWS SDK the runtime
 * provides) loaded on first use rather than when the bundle loads, and the platform's own modules
 * declared free of side effects so that what a function imports through a barrel but never uses
 * is left out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Plugin } from "esbuild";

const NAMESPACE = "lazy-external";

/**
 * The externals matching `patterns` (package names, or `scope/*`) load on the first read of one of
 * their exports. A publisher needs the Step Functions client only to reconcile failed executions
 * and the MSK IAM signer only to connect on AWS; loading them with the bundle cost 30–50 ms of
 * every init (npm run bench -- --only cold-start).
 */
export function lazyExternals(root: string, patterns: readonly string[]): Plugin {
  const matches = (specifier: string) => patterns.some((pattern) => (pattern.endsWith("/*") ? specifier.startsWith(pattern.slice(0, -1)) : specifier === pattern));
  return {
    name: "ensemble-lazy-externals",
    setup(build) {
      // An aliased package (bundle.ts's SDK_ALIASES) is the alias's business: bundled, not external.
      const aliased = new Set(Object.keys(build.initialOptions.alias ?? {}));
      // Only the patterns' specifiers reach this callback: a filter that took every bare import
      // called into JavaScript for each of the thousands packages make.
      const filter = new RegExp(patterns.map((pattern) => `^${escapeRegExp(pattern.endsWith("/*") ? pattern.slice(0, -1) : pattern)}${pattern.endsWith("/*") ? "" : "$"}`).join("|") || "(?!)");
      build.onResolve({ filter }, (args) => {
        if (args.namespace === NAMESPACE) return { path: args.path, external: true };
        if (aliased.has(args.path)) return undefined;
        // Whether it marks itself an ES module is read at build time; one not installed here stays a plain external.
        return matches(args.path) && esModuleFlag(args.path, root) !== undefined ? { path: args.path, namespace: NAMESPACE } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: lazyModuleSource(args.path, esModuleFlag(args.path, root)!), loader: "js", resolveDir: root }));
    },
  };
}

/** `__esModule` of the installed package, or undefined when it is not installed. */
function esModuleFlag(specifier: string, root: string): boolean | undefined {
  let file: string;
  try {
    file = require.resolve(specifier, { paths: [root] });
  } catch {
    return undefined;
  }
  return (require(file) as { __esModule?: unknown }).__esModule === true;
}

/**
 * A module that requires `specifier` on the first read of one of its exports. The exports live on
 * its prototype, a proxy, and it has no own property but `__esModule`: esbuild's import helper
 * (`__toESM`) copies a CommonJS module's own properties and reads `__esModule` as the importing
 * module loads, which would load it then; the copy it makes inherits the same prototype.
 */
export function lazyModuleSource(specifier: string, esModule: boolean): string {
  return [
    `let loaded;`,
    `const load = () => (loaded ??= require(${JSON.stringify(specifier)}));`,
    `module.exports = Object.create(new Proxy({}, { get: (_, key) => (key === "__esModule" ? ${esModule} || undefined : load()[key]), has: (_, key) => key in load() }));`,
    esModule ? `Object.defineProperty(module.exports, "__esModule", { value: true });` : "",
  ].join("\n");
}

/**
 * The repository's platform modules declare what they export and do nothing else at load; the one
 * exception, lazy-source-maps.ts, is imported by every entry for its effect and excluded here.
 * Telling esbuild so lets it leave out the modules a function imports through a barrel
 * (`platform/runtime/index.ts`) but never uses: a consumer group no longer carries the milestone
 * publisher, nor through it the Kafka admin and consumer of its published-check.
 */
const SIDE_EFFECT_FREE = /^platform\/(runtime|model)\/(?!lazy-source-maps\.ts$)[^/]+\.ts$/;
/** How the repository's relative imports name a module: the file, or its folder's index (TypeScript's resolution). */
const MODULE_FILES = [".ts", "/index.ts"];

/** The plugin marking {@link SIDE_EFFECT_FREE} modules so. */
export function sideEffectFreePlatform(root: string): Plugin {
  const runtimeOrModel = path.join(root, "platform");
  return {
    name: "ensemble-side-effect-free-platform",
    setup(build) {
      // Resolved here, synchronously, rather than through build.resolve: this runs for every
      // relative import of every package, and a nested resolve per import cost a third of a build.
      build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
        if (!args.importer.startsWith(root) || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const base = path.resolve(args.resolveDir, args.path);
        if (!base.startsWith(runtimeOrModel)) return undefined;
        const file = MODULE_FILES.map((suffix) => base + suffix).find((candidate) => fs.existsSync(candidate));
        if (!file || !SIDE_EFFECT_FREE.test(path.relative(root, file).split(path.sep).join("/"))) return undefined;
        return { path: file, sideEffects: false };
      });
    },
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
