import * as aws from "@pulumi/aws";
import { recordResources } from "../../support/pulumi-mocks";
import { networkCases } from "./cases/network";
import { expectedMessages, messagesOf, rows } from "./run-case";

describe("the network policies", () => {
  it.each(rows(networkCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's resources, or its VPC program run under Pulumi's mocks

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });

  it("see a flow log and a default security group linked to their VPC through vpcId's property dependency", async () => {
    // Prepare
    const mocks = recordResources();
    const vpc = new aws.ec2.Vpc("Vpc", { cidrBlock: "10.50.0.0/16" });
    new aws.ec2.DefaultSecurityGroup("VpcDefaultSecurityGroup", { vpcId: vpc.id });
    new aws.ec2.FlowLog("VpcFlowLog", { vpcId: vpc.id, trafficType: "ALL", logDestination: "arn:aws:logs:eu-west-1:123456789012:log-group:flow" });

    // Act
    await mocks.settled();
    const graph = mocks.policyGraph();

    // Assess
    const vpcUrn = graph.resources.find((r) => r.name === "Vpc")!.urn;
    expect(graph.resources.filter((r) => r.name !== "Vpc").map((r) => ({ name: r.name, vpcId: r.propertyDependencies.vpcId, dependencies: r.dependencies }))).toEqual([
      { name: "VpcDefaultSecurityGroup", vpcId: [vpcUrn], dependencies: [vpcUrn] },
      { name: "VpcFlowLog", vpcId: [vpcUrn], dependencies: [vpcUrn] },
    ]);
  });
});
