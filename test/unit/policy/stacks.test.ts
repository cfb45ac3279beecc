import { evaluatePolicies, stackPolicyConfig, type Violation } from "../../support/policy";
import { runProgram, stackFileConfig } from "../../support/stack";
import { policies } from "../../../policy/policies";

// The whole program, as `pulumi preview --policy-pack policy --policy-pack-config
// policy/stacks/<stack>.json` would check it: the default AWS provider takes its defaultTags from
// the stack file's aws:defaultTags, JSON-encoded as the engine hands provider inputs over.
describe.each(["dev", "prod"])("the %s stack under the policy pack", (stack) => {
  let violations: Violation[];
  const applied = new Map<string, number>();

  beforeAll(async () => {
    const run = await runProgram(stack);
    violations = await evaluatePolicies(run.mocks.policyGraph(), { config: stackPolicyConfig(stack), defaultTags: stackFileConfig(stack)["aws:defaultTags"], applied });
  });

  it("violates no policy", () => {
    // Prepare, Act: in beforeAll, the program run under mocks and evaluated with the stack's config

    // Assess
    expect(violations.map(({ policy, type, name, message }) => `${policy}: ${type} ${name}: ${message}`)).toEqual([]);
  });

  it("had something to check for every resource policy, so no pass is vacuous", () => {
    // Every resource policy meets a resource, lambda-permission-not-public too: the stacks now
    // create Lambda permissions, for EventBridge (the invariants group's sweep schedule, and each
    // failure backstop's rule invoking its context's publisher). Event source mappings still
    // invoke through the role.
    const unused = policies.filter((p) => "validateResource" in p && !applied.has(p.name)).map((p) => p.name);
    expect(unused).toEqual([]);
  });
});
