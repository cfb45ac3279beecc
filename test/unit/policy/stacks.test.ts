import { evaluatePolicies, stackPolicyConfig, type Violation } from "../../support/policy";
import { runProgram, stackFileConfig } from "../../support/stack";

// The whole program, as `pulumi preview --policy-pack policy --policy-pack-config
// policy/stacks/<stack>.json` would check it: the default AWS provider takes its defaultTags from
// the stack file's aws:defaultTags, JSON-encoded as the engine hands provider inputs over.
describe.each(["dev", "prod"])("the %s stack under the policy pack", (stack) => {
  let violations: Violation[];

  beforeAll(async () => {
    const run = await runProgram(stack);
    violations = await evaluatePolicies(run.mocks.policyGraph(), { config: stackPolicyConfig(stack), defaultTags: stackFileConfig(stack)["aws:defaultTags"] });
  });

  it("violates no policy", () => {
    // Prepare, Act: in beforeAll, the program run under mocks and evaluated with the stack's config

    // Assess
    expect(violations.map(({ policy, type, name, message }) => `${policy}: ${type} ${name}: ${message}`)).toEqual([]);
  });
});
