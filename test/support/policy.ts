/**
 * Evaluates the policy pack in `policy/` over a mocked resource graph, the way the Pulumi CLI's
 * policy server would over a preview: every resource policy over every custom resource (its
 * inputs), every stack policy once over all resources (their outputs, parents, dependencies and
 * property dependencies), each with its config from a stack's `policy/stacks/<stack>.json`.
 *
 * ```ts
 * const mocks = recordResources();
 * const vpc = new aws.ec2.Vpc("Vpc", { cidrBlock: "10.0.0.0/16" });
 * await mocks.settled();
 * const violations = await evaluatePolicies(mocks.policyGraph(), { config: stackPolicyConfig("prod") });
 * ```
 *
 * Differences from the real server, on purpose: no unknown values (the mocks are not a preview),
 * the AWS provider is the default one with the given `defaultTags`, and URNs are the mock
 * monitor's (consistent among themselves, shortened as the mocks shorten them).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type Policies,
  type PolicyProviderResource,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import { policies as packPolicies } from "../../policy/policies";
import type { PolicyGraph, PolicyGraphResource } from "./pulumi-mocks";

const ROOT = path.resolve(__dirname, "../..");

/** One reported violation, with the resource it names (the stack's, for a stack-wide one). */
export interface Violation {
  policy: string;
  urn: string;
  name: string;
  type: string;
  message: string;
}

/** Config per policy, as in `policy/stacks/<stack>.json`. */
export type PolicyPackConfig = Record<string, Record<string, unknown> & { enforcementLevel?: string }>;

export interface EvaluateOptions {
  /** Per-policy config; each policy's schema defaults fill in what it leaves out. */
  config?: PolicyPackConfig;
  /** Filled with how many resources each resource policy applied to (ran to its end on). */
  applied?: Map<string, number>;
  /** The AWS provider's `defaultTags`: `{ tags: {...} }`, or that as JSON, as the engine passes it. */
  defaultTags?: { tags?: Record<string, string> } | string;
  /** @default the pack's policies */
  policies?: Policies;
  stackTags?: Record<string, string>;
}

/** The config file of a stack, `policy/stacks/<stack>.json`. */
export function stackPolicyConfig(stack: string): PolicyPackConfig {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "policy/stacks", `${stack}.json`), "utf8")) as PolicyPackConfig;
}

/** A resource for {@link graphOf}: what a program would register, without Pulumi. */
export interface TestResource {
  type: string;
  name: string;
  inputs?: Record<string, any>;
  /** Outputs for stack policies; by default the inputs. */
  outputs?: Record<string, any>;
}

/**
 * A graph of plain resources, for resource policies that need no real registration: custom
 * resources at the top, no dependencies, URNs shaped like the mock monitor's.
 */
export function graphOf(resources: TestResource[], stack = "test", project = "ensemble"): PolicyGraph {
  return {
    project,
    stack,
    resources: resources.map((resource) => ({
      urn: `urn:pulumi:${stack}::${project}::${resource.type}::${resource.name}`,
      type: resource.type,
      name: resource.name,
      custom: true,
      inputs: resource.inputs ?? {},
      outputs: resource.outputs ?? resource.inputs ?? {},
      dependencies: [],
      propertyDependencies: {},
      options: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    })),
  };
}

class NotApplicable extends Error {}

/** Runs every enabled policy over the graph and returns what they reported, in order. */
export async function evaluatePolicies(graph: PolicyGraph, options: EvaluateOptions = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
  const stackUrn = `urn:pulumi:${graph.stack}::${graph.project}::pulumi:pulumi:Stack::${graph.project}-${graph.stack}`;
  const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
  const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
  };

  for (const policy of options.policies ?? packPolicies) {
    const config = options.config?.[policy.name] ?? {};
    if ((config.enforcementLevel ?? policy.enforcementLevel) === "disabled") continue;
    const getConfig = <T extends object>(): T => {
      const { enforcementLevel: _level, ...settings } = config;
      const defaults = Object.entries(policy.configSchema?.properties ?? {}).flatMap(([key, schema]) =>
        typeof schema === "object" && schema.default !== undefined ? [[key, structuredClone(schema.default)]] : [],
      );
      return { ...Object.fromEntries(defaults), ...settings } as T;
    };
    const report = (resource: { urn: string; name: string; type: string }) => (message: string, urn?: string) => {
      const named = urn ? byUrn.get(urn) : undefined;
      violations.push({ policy: policy.name, urn: named?.urn ?? resource.urn, name: named?.name ?? resource.name, type: named?.type ?? resource.type, message });
    };

    if ("validateStack" in policy) {
      const args: StackValidationArgs = { resources: stackResources(graph, options), stackTags, getConfig, notApplicable };
      await guarded(() => (policy as StackValidationPolicy).validateStack(args, report({ urn: stackUrn, name: `${graph.project}-${graph.stack}`, type: "pulumi:pulumi:Stack" })));
      continue;
    }
    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const resource of graph.resources.filter((r) => r.custom)) {
      for (const validate of validations) {
        const onlyType = (validate as { __pulumiType?: string }).__pulumiType;
        if (onlyType && onlyType !== resource.type) continue;
        const props = unknownCheckingProxy(resource.inputs);
        const args: ResourceValidationArgs = {
          type: resource.type,
          props,
          urn: resource.urn,
          name: resource.name,
          opts: optionsOf(resource),
          stackTags,
          isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
          asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        const provider = providerOf(resource, graph, options);
        if (provider) args.provider = provider;
        if (await guarded(() => validate(args, report(resource)))) options.applied?.set(policy.name, (options.applied.get(policy.name) ?? 0) + 1);
      }
    }
  }
  return violations;
}

/**
 * Runs a validation; "not applicable" and "unknown during preview" end it without a violation, as
 * in the server. True when the validation ran to its end: it applied to the resource.
 */
async function guarded(run: () => void | Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    if (error instanceof NotApplicable || error instanceof UnknownValueError) return false;
    throw error;
  }
}

function stackResources(graph: PolicyGraph, options: EvaluateOptions): PolicyResource[] {
  const resources = new Map<string, PolicyResource>();
  for (const resource of graph.resources) {
    const props = unknownCheckingProxy(resource.outputs);
    const policyResource: PolicyResource = {
      type: resource.type,
      props,
      urn: resource.urn,
      name: resource.name,
      opts: optionsOf(resource),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
    };
    const provider = providerOf(resource, graph, options);
    if (provider) policyResource.provider = provider;
    resources.set(resource.urn, policyResource);
  }
  // As the server does: parents and dependencies become the resource objects, unknown URNs drop out.
  const resolve = (urns: string[]) => urns.flatMap((urn) => (resources.has(urn) ? [resources.get(urn)!] : []));
  for (const resource of graph.resources) {
    const policyResource = resources.get(resource.urn)!;
    const parent = resource.parent ? resources.get(resource.parent) : undefined;
    if (parent) policyResource.parent = parent;
    policyResource.dependencies = resolve(resource.dependencies);
    policyResource.propertyDependencies = Object.fromEntries(Object.entries(resource.propertyDependencies).map(([key, urns]) => [key, resolve(urns)]));
  }
  return [...resources.values()];
}

function optionsOf(resource: PolicyGraphResource): PolicyResourceOptions {
  return { ...resource.options, ...(resource.parent ? { parent: resource.parent } : {}) };
}

/** The default provider of the resource's package; the AWS one carries `defaultTags`. */
function providerOf(resource: PolicyGraphResource, graph: PolicyGraph, options: EvaluateOptions): PolicyProviderResource | undefined {
  if (!resource.custom) return undefined;
  const pkg = resource.type.split(":")[0];
  if (!pkg || pkg === "pulumi") return undefined;
  const props = pkg === "aws" && options.defaultTags !== undefined ? { defaultTags: options.defaultTags } : {};
  return {
    type: `pulumi:providers:${pkg}`,
    props: unknownCheckingProxy(props),
    urn: `urn:pulumi:${graph.stack}::${graph.project}::pulumi:providers:${pkg}::default`,
    name: "default",
  };
}

/** As the server: by the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = (resourceClass as { __pulumiType?: unknown }).__pulumiType;
  if (typeof token === "string" && token.length > 0) return token === type;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}
