import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { defaultStackConfig, type StackConfig, StackConfigError, stackConfigFromPulumi } from "../platform/model/stack-config";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** `Pulumi.<stack>.yaml`'s `config:` as Pulumi hands it to the program (text, objects as JSON); undefined without the file. */
export function readStackFile(stack: string, root = PROJECT_ROOT): Record<string, string> | undefined {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return undefined;
  const config = (parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** The Pulumi project's name, from `Pulumi.yaml`: what the `project` tag must say. */
export function projectName(root = PROJECT_ROOT): string {
  return (parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name;
}

/**
 * The stack's parsed settings. A stack with a `Pulumi.<stack>.yaml` gets its overrides (the same
 * the Pulumi program applies); `required: false` lets a local-only stack (`npm start`'s `local`)
 * run on the defaults.
 */
export function stackConfigFor(stack: string, groups: readonly string[], options: { required: boolean }): StackConfig {
  const raw = readStackFile(stack);
  if (raw) return stackConfigFromPulumi(stack, raw, groups);
  if (!options.required) return defaultStackConfig();
  throw new StackConfigError(stack, [`no Pulumi.${stack}.yaml in ${PROJECT_ROOT}; create it (see Pulumi.dev.yaml) or pass --stack.`]);
}
