import * as aws from "@pulumi/aws";
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { evaluatePolicies, graphOf } from "../../support/policy";
import { recordResources } from "../../support/pulumi-mocks";

/** A component with one child, and a resource outside it that depends on the component. */
function program(): void {
  class Box extends pulumi.ComponentResource {
    readonly key: aws.kms.Key;
    constructor(name: string) {
      super("test:index:Box", name, {});
      this.key = new aws.kms.Key(`${name}Key`, { enableKeyRotation: true }, { parent: this });
      this.registerOutputs({});
    }
  }
  const box = new Box("Box");
  new aws.kms.Alias("Alias", { name: "alias/box", targetKeyId: box.key.arn }, { dependsOn: [box], protect: true });
}

describe("the policy harness", () => {
  it("records each resource's URN, parent, dependencies and property dependencies from the mock monitor", async () => {
    // Prepare
    const mocks = recordResources();
    program();

    // Act
    await mocks.settled();
    const graph = mocks.policyGraph();

    // Assess
    const urn = (name: string) => graph.resources.find((r) => r.name === name)!.urn;
    expect(graph.resources.map((r) => ({ name: r.name, custom: r.custom, parent: r.parent, protect: r.options.protect }))).toEqual([
      { name: "Box", custom: false, parent: undefined, protect: false },
      { name: "BoxKey", custom: true, parent: urn("Box"), protect: false },
      { name: "Alias", custom: true, parent: undefined, protect: true },
    ]);
    const alias = graph.resources.find((r) => r.name === "Alias")!;
    expect(alias.dependencies).toEqual(expect.arrayContaining([urn("BoxKey")]));
    expect(alias.propertyDependencies.targetKeyId).toEqual([urn("BoxKey")]);
    expect(alias.inputs).toEqual({ name: "alias/box", targetKeyId: "arn:aws:kms:eu-west-1:123456789012:key/BoxKey" });
    // The record the other tests read is unchanged.
    expect(mocks.countsByType()).toEqual({ "aws:kms/key:Key": 1, "aws:kms/alias:Alias": 1 });
  });

  it("validates custom resources only, by type token, with the provider's default tags and the config over the schema defaults", async () => {
    // Prepare
    const mocks = recordResources();
    program();
    await mocks.settled();
    const seen: Record<string, unknown>[] = [];
    const validate = (args: ResourceValidationArgs) => {
      seen.push({ type: args.type, isKey: args.isType(aws.kms.Key), asKey: args.asType(aws.kms.Key) !== undefined, config: args.getConfig(), tags: args.provider?.props.defaultTags });
    };

    // Act
    await evaluatePolicies(mocks.policyGraph(), {
      defaultTags: { tags: { owner: "platform-team" } },
      config: { probe: { enforcementLevel: "advisory", limit: 3 } },
      policies: [{ name: "probe", description: "custom", configSchema: { properties: { limit: { type: "integer", default: 1 }, mode: { type: "string", default: "strict" } } }, validateResource: validate }],
    });

    // Assess
    expect(seen).toEqual([
      { type: "aws:kms/key:Key", isKey: true, asKey: true, config: { limit: 3, mode: "strict" }, tags: { tags: { owner: "platform-team" } } },
      { type: "aws:kms/alias:Alias", isKey: false, asKey: false, config: { limit: 3, mode: "strict" }, tags: { tags: { owner: "platform-team" } } },
    ]);
  });

  it("runs a stack policy once over every resource, with parents and dependencies as resource objects", async () => {
    // Prepare
    const mocks = recordResources();
    program();
    await mocks.settled();
    let resources: PolicyResource[] = [];
    const validateStack = (args: StackValidationArgs, report: (message: string, urn?: string) => void) => {
      resources = args.resources;
      report("stack-wide");
      report("about the alias", args.resources.find((r) => r.name === "Alias")!.urn);
    };

    // Act
    const violations = await evaluatePolicies(mocks.policyGraph(), { policies: [{ name: "stack-probe", description: "custom", validateStack }] });

    // Assess
    expect(resources.map((r) => r.name)).toEqual(["Box", "BoxKey", "Alias"]);
    expect(resources[1]!.parent).toBe(resources[0]);
    expect(resources[2]!.propertyDependencies.targetKeyId).toEqual([resources[1]]);
    expect(resources[2]!.props.arn).toBe("arn:aws:kms:eu-west-1:123456789012:alias/Alias"); // outputs, not inputs
    expect(violations.map(({ policy, name, type, message }) => ({ policy, name, type, message }))).toEqual([
      { policy: "stack-probe", name: "ensemble-test", type: "pulumi:pulumi:Stack", message: "stack-wide" },
      { policy: "stack-probe", name: "Alias", type: "aws:kms/alias:Alias", message: "about the alias" },
    ]);
  });

  it("skips disabled policies and resources a policy declares not applicable", async () => {
    // Prepare
    const graph = graphOf([{ type: "aws:sns/topic:Topic", name: "Topic" }]);
    const fails = (args: ResourceValidationArgs, report: (message: string) => void) => report(`${args.name} fails`);
    const notApplicable = (args: ResourceValidationArgs) => args.notApplicable("not for topics");

    // Act
    const violations = await evaluatePolicies(graph, {
      config: { off: { enforcementLevel: "disabled" } },
      policies: [
        { name: "off", description: "custom", validateResource: fails },
        { name: "on", description: "custom", validateResource: fails },
        { name: "na", description: "custom", validateResource: notApplicable },
      ],
    });

    // Assess
    expect(violations.map((v) => `${v.policy}: ${v.message}`)).toEqual(["on: Topic fails"]);
  });
});
