import { type EvaluateOptions, evaluatePolicies, graphOf, stackPolicyConfig, type TestResource } from "../../support/policy";
import { recordResources } from "../../support/pulumi-mocks";

/** The AWS provider's default tags every case gets unless it says otherwise. */
export const DEFAULT_TAGS = { tags: { project: "ensemble", stack: "test", owner: "platform-team" } };

/** One row of a policy's table: a small stack, and what the policy says about it. */
export interface PolicyCase {
  policy: string;
  title: string;
  /** Plain resources (resource policies), or ... */
  resources?: TestResource[];
  /** ... a program of real @pulumi/aws resources, run under Pulumi's mocks (stack policies). */
  program?: () => void;
  /** Whose `policy/stacks/<stack>.json` applies. @default "prod" */
  stack?: "dev" | "prod";
  /** The AWS provider's default tags. @default {@link DEFAULT_TAGS} */
  defaultTags?: EvaluateOptions["defaultTags"];
  /** A fragment of each message the policy reports; left out, the policy reports nothing. */
  fails?: string | string[];
}

/** The messages the case's policy reports for the case's resources. */
export async function messagesOf(policyCase: PolicyCase): Promise<string[]> {
  let graph = graphOf(policyCase.resources ?? []);
  if (policyCase.program) {
    const mocks = recordResources();
    policyCase.program();
    await mocks.settled();
    graph = mocks.policyGraph();
  }
  const violations = await evaluatePolicies(graph, { config: stackPolicyConfig(policyCase.stack ?? "prod"), defaultTags: "defaultTags" in policyCase ? policyCase.defaultTags : DEFAULT_TAGS });
  return violations.filter((v) => v.policy === policyCase.policy).map((v) => v.message);
}

/** What {@link messagesOf} should give for the case. */
export function expectedMessages(policyCase: PolicyCase): unknown[] {
  return [policyCase.fails ?? []].flat().map((fragment) => expect.stringContaining(fragment));
}

/** `[policy, title, case]` rows for `it.each`. */
export function rows(cases: PolicyCase[]): [string, string, PolicyCase][] {
  return cases.map((c) => [c.policy, c.title, c]);
}

/**
 * A copy of `resource` with some inputs changed, by dotted path (`"encryptionInfo.encryptionInTransit.inCluster"`);
 * `undefined` removes the input.
 */
export function variant(resource: TestResource, changes: Record<string, unknown>, name = resource.name): TestResource {
  const inputs = structuredClone(resource.inputs ?? {});
  for (const [dotted, value] of Object.entries(changes)) {
    const keys = dotted.split(".");
    const last = keys.pop()!;
    let target: Record<string, any> = inputs;
    for (const key of keys) target = target[key] ??= {};
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return { ...resource, name, inputs };
}
