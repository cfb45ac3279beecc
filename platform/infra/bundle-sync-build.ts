/*
 * Runs an esbuild build with the bundle-trim plugin synchronously (see bundle-worker.ts for why a
 * worker): posts the request, blocks on a shared flag, then takes the answer off the port.
 */
import * as path from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { type BuildFailure, type BuildOptions, buildSync, type Metafile, type OutputFile } from "esbuild";
import type { WorkerBuildAnswer, WorkerBuildRequest } from "./bundle-worker";
import { BundleError } from "./errors";

/** Longer than any build of ours takes (a second or two on a busy machine): a stuck worker fails the build. */
const BUILD_TIMEOUT_MS = 120_000;

let worker: Worker | undefined;

/**
 * The worker, started on first use: its own source bundled by esbuild (so it loads the same way
 * under ts-node, tsx and Jest), unref'd so it never keeps a process alive. One per module
 * instance: under Jest, each test file that bundles starts one (and its esbuild service), which
 * lasts until that Jest worker process exits.
 */
function buildWorker(): Worker {
  if (worker) return worker;
  const source = buildSync({
    entryPoints: [path.join(__dirname, "bundle-worker.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    write: false,
    external: ["esbuild"],
    logLevel: "silent",
  }).outputFiles[0]!.text;
  worker = new Worker(source, { eval: true, workerData: { esbuild: require.resolve("esbuild") } });
  worker.unref();
  worker.on("error", () => (worker = undefined));
  worker.on("exit", () => (worker = undefined));
  return worker;
}

/** esbuild's `build` with the trim plugin, waited for; fails as `buildSync` does (a BuildFailure's `errors`). */
export function buildTrimmedSync(
  options: BuildOptions & { absWorkingDir: string },
  lazyExternals: readonly string[],
): { outputFiles: Pick<OutputFile, "path" | "text">[]; metafile: Metafile } {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const request: WorkerBuildRequest = { options, lazyExternals, signal, port: port2 };
  buildWorker().postMessage(request, [port2]);
  const waited = Atomics.wait(signal, 0, 0, BUILD_TIMEOUT_MS);
  const answer = receiveMessageOnPort(port1)?.message as WorkerBuildAnswer | undefined;
  port1.close();
  if (!answer) throw new BundleError(`The bundling worker (platform/infra/bundle-worker.ts) gave no answer${waited === "timed-out" ? ` in ${BUILD_TIMEOUT_MS / 1000} s` : ""}.`);
  if (!answer.ok) throw Object.assign(new Error(answer.message), answer.errors ? { errors: answer.errors } : {}) as Error & Partial<BuildFailure>;
  return answer;
}
