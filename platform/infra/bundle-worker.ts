/*
 * esbuild runs plugins only in its asynchronous API, and bundle() is synchronous: a Pulumi
 * component bundles its function in its constructor. So the build runs here, in a worker thread,
 * while the caller waits on a shared flag (bundle-sync-build.ts). The worker lives for the
 * process and builds one bundle at a time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { BuildOptions } from "esbuild";
import { lazyExternals, sideEffectFreePlatform } from "./bundle-lazy";
import { bundleTrim, kafkaUsesOf } from "./bundle-trim";

export interface WorkerBuildRequest {
  /** esbuild's options, without plugins (they are functions, made here). */
  readonly options: BuildOptions & { absWorkingDir: string };
  /** Externals loaded on first use (bundle-trim.ts). */
  readonly lazyExternals: readonly string[];
  /** Set to 1 once the answer is on `port`. */
  readonly signal: Int32Array;
  readonly port: MessagePort;
}

export type WorkerBuildAnswer =
  | { readonly ok: true; readonly outputFiles: { path: string; text: string }[]; readonly metafile: import("esbuild").Metafile }
  | { readonly ok: false; readonly message: string; readonly errors?: import("esbuild").Message[] };

const esbuild = require((workerData as { esbuild: string }).esbuild) as typeof import("esbuild");

parentPort!.on("message", (request: WorkerBuildRequest) => {
  void answer(request).then((reply) => send(request, reply));
});

/** Posts the answer and always wakes the caller: an answer that cannot be posted becomes a failure that can. */
function send(request: WorkerBuildRequest, reply: WorkerBuildAnswer): void {
  try {
    request.port.postMessage(reply);
  } catch (error) {
    request.port.postMessage({ ok: false, message: `The build's answer could not be passed back: ${(error as Error).message}` } satisfies WorkerBuildAnswer);
  } finally {
    Atomics.store(request.signal, 0, 1);
    Atomics.notify(request.signal, 0);
  }
}

async function answer({ options, lazyExternals: lazy }: WorkerBuildRequest): Promise<WorkerBuildAnswer> {
  try {
    const root = options.absWorkingDir;
    const kafka = kafkaUsesOf(await ownSources(options));
    const result = await esbuild.build({ ...options, write: false, metafile: true, plugins: [sideEffectFreePlatform(root), bundleTrim(root, kafka), lazyExternals(root, lazy)] });
    return { ok: true, outputFiles: result.outputFiles.map((file) => ({ path: file.path, text: file.text })), metafile: result.metafile };
  } catch (error) {
    const failure = error as { message?: string; errors?: import("esbuild").Message[] };
    return { ok: false, message: failure.message ?? String(error), ...(failure.errors ? { errors: failure.errors } : {}) };
  }
}

/** The text of the repository's own files the bundle includes: one quick build with every package left external. */
async function ownSources(options: WorkerBuildRequest["options"]): Promise<string[]> {
  const scan = await esbuild.build({ ...options, write: false, metafile: true, minify: false, sourcemap: false, packages: "external", plugins: [sideEffectFreePlatform(options.absWorkingDir)] });
  // The output's inputs, not the metafile's: those include modules parsed and then left out.
  const output = Object.values(scan.metafile.outputs).find((file) => file.entryPoint !== undefined || Object.keys(file.inputs).length > 0);
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([file]) => file)
    .map((file) => path.resolve(options.absWorkingDir, file))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, "utf8"));
}
