/**
 * Small helpers every rule file uses: match a resource by its type token (the pack does not load
 * @pulumi/aws), read a policy's config over its schema's defaults, and describe a resource in a
 * message. Types only from @pulumi/policy, so importing the rules starts no server.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/** A resource's inputs or outputs as the engine hands them over: plain JSON-like data. */
export type Props = Record<string, any>;

/** One property of a policy's config schema. */
export type ConfigProperty = PolicyConfigSchema["properties"][string];

/** Every exception in `policy/stacks/<stack>.json` says why, under this key. */
export const REASON: ConfigProperty = {
  type: "string",
  description: "Why this stack departs from the strict default; required next to every exception.",
};

/**
 * A resource validation for one type token (`aws:msk/cluster:Cluster`) or several. With one type
 * the token is attached as `__pulumiType`, as `validateResourceOfType` does, so the policy server
 * skips other resources without calling the function.
 */
export function forTypes(types: string | readonly string[], validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation {
  const wanted = typeof types === "string" ? [types] : types;
  const validation: ResourceValidation = (args, report) => {
    if (!wanted.includes(args.type)) args.notApplicable(`Policy only applies to resources of type ${wanted.map((t) => `'${t}'`).join(", ")}`);
    validate(args.props, args, report);
  };
  if (wanted.length === 1) (validation as { __pulumiType?: string }).__pulumiType = wanted[0];
  return validation;
}

/** The policy's config: its schema's defaults, overridden by what the stack's config file sets. */
export function configOf<T extends object>(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema): T {
  const defaults = Object.fromEntries(
    Object.entries(schema.properties).flatMap(([key, property]) => (typeof property === "object" && property.default !== undefined ? [[key, property.default]] : [])),
  );
  return { ...defaults, ...args.getConfig<Partial<T>>() } as T;
}

/** `MSK cluster "Ensemble-kafka"`: what a message names first. */
export function subject(kind: string, args: { name: string }): string {
  return `${kind} "${args.name}"`;
}

/** A list input as an array: `undefined` and non-arrays become `[]`. */
export function list<T = any>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
