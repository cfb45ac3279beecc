import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { type PulumiMocks, recordResources } from "./pulumi-mocks";

const ROOT = path.resolve(__dirname, "../..");

/** The `config:` of `Pulumi.<stack>.yaml`, as Pulumi hands it to the program (JSON for objects). */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(file.config ?? {}).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

/**
 * A stack's config with none of its file's `ensemble:*` keys: only the provider's default tags
 * the program insists on, and `extra`.
 */
export function bareStackConfig(stack: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "aws:defaultTags": JSON.stringify({ tags: { project: "ensemble", stack } }), ...extra };
}

export interface ProgramRun {
  readonly mocks: PulumiMocks;
  readonly program: typeof import("../../index");
}

/**
 * Runs index.ts under Pulumi's mocks for a stack, with the config of its stack file (or the one
 * given), after `prepare` (e.g. jest.doMock of the topology). Fresh modules each time, so two runs
 * can be compared.
 */
export async function runProgram(stack: string, config = stackFileConfig(stack), prepare?: () => void): Promise<ProgramRun> {
  const mocks = recordResources({ stack });
  pulumi.runtime.setAllConfig(config);
  jest.resetModules();
  prepare?.();
  // require, not import(): the program must load after the mocks, and afresh for each run.
  const program = require("../../index") as typeof import("../../index");
  await mocks.settled();
  return { mocks, program };
}
