import * as aws from "@pulumi/aws";
import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

type VpcParts = { defaultGroup?: Partial<aws.ec2.DefaultSecurityGroupArgs> | false; flowLog?: Partial<aws.ec2.FlowLogArgs> | false };

/**
 * A VPC, and unless told otherwise its closed default security group and a flow log of all
 * traffic, each taking vpcId from the VPC: the property dependency the stack policies follow.
 */
function vpcProgram(name: string, parts: VpcParts = {}): () => aws.ec2.Vpc {
  return () => {
    const vpc = new aws.ec2.Vpc(name, { cidrBlock: "10.50.0.0/16" });
    if (parts.defaultGroup !== false) new aws.ec2.DefaultSecurityGroup(`${name}DefaultSecurityGroup`, { vpcId: vpc.id, ingress: [], egress: [], ...parts.defaultGroup });
    if (parts.flowLog !== false) {
      new aws.ec2.FlowLog(`${name}FlowLog`, {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestination: "arn:aws:logs:eu-west-1:123456789012:log-group:/ensemble/prod/vpc-flow-logs",
        iamRoleArn: "arn:aws:iam::123456789012:role/vpc-flow-logs",
        ...parts.flowLog,
      });
    }
    return vpc;
  };
}

const securityGroup: TestResource = {
  type: "aws:ec2/securityGroup:SecurityGroup",
  name: "BrokerSecurityGroup",
  inputs: {
    vpcId: "vpc-1",
    ingress: [{ protocol: "tcp", fromPort: 9098, toPort: 9098, securityGroups: ["sg-functions"] }],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
  },
};

const subnet: TestResource = { type: "aws:ec2/subnet:Subnet", name: "PrivateSubnetA", inputs: { vpcId: "vpc-1", cidrBlock: "10.50.0.0/20", mapPublicIpOnLaunch: false } };

export const networkCases: PolicyCase[] = [
  { policy: "vpc-default-security-group-closed", title: "passes with the default security group adopted and emptied", program: vpcProgram("Vpc") },
  {
    policy: "vpc-default-security-group-closed",
    title: "fails when the default security group is not adopted",
    program: vpcProgram("Vpc", { defaultGroup: false }),
    fails: 'VPC "Vpc" leaves its default security group\'s rules in place; add an aws.ec2.DefaultSecurityGroup with vpcId',
  },
  {
    policy: "vpc-default-security-group-closed",
    title: "fails when the default security group keeps a rule",
    program: vpcProgram("Vpc", { defaultGroup: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] } }),
    fails: 'Default security group "VpcDefaultSecurityGroup" of VPC "Vpc" has 1 ingress and 0 egress rule(s); set ingress and egress to []',
  },
  {
    policy: "vpc-default-security-group-closed",
    title: "fails for the VPC whose default security group is adopted for another VPC",
    program: () => {
      vpcProgram("Vpc")();
      vpcProgram("OtherVpc", { defaultGroup: false })();
    },
    fails: 'VPC "OtherVpc" leaves its default security group\'s rules in place',
  },
  { policy: "vpc-flow-logs", title: "passes with a flow log of all traffic", program: vpcProgram("Vpc") },
  { policy: "vpc-flow-logs", title: "passes with a flow log of rejected traffic", program: vpcProgram("Vpc", { flowLog: { trafficType: "REJECT" } }) },
  {
    policy: "vpc-flow-logs",
    title: "fails without a flow log",
    program: vpcProgram("Vpc", { flowLog: false }),
    fails: 'VPC "Vpc" has no flow log of rejected traffic; add an aws.ec2.FlowLog with vpcId',
  },
  {
    policy: "vpc-flow-logs",
    title: "fails with a flow log of accepted traffic only",
    program: vpcProgram("Vpc", { flowLog: { trafficType: "ACCEPT" } }),
    fails: "has no flow log of rejected traffic (its flow log captures only ACCEPT traffic)",
  },
  { policy: "security-group-no-public-ingress", title: "passes with ingress from a security group only", resources: [securityGroup] },
  {
    policy: "security-group-no-public-ingress",
    title: "fails with ingress from 0.0.0.0/0",
    resources: [variant(securityGroup, { ingress: [{ protocol: "tcp", fromPort: 9098, toPort: 9098, cidrBlocks: ["0.0.0.0/0"] }] })],
    fails: 'Security group ingress "BrokerSecurityGroup" allows tcp 9098-9098 from anywhere',
  },
  {
    policy: "security-group-no-public-ingress",
    title: "fails with ingress from ::/0 in a security group rule",
    resources: [{ type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "OpenHttps", inputs: { type: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, ipv6CidrBlocks: ["::/0"], securityGroupId: "sg-1" } }],
    fails: 'Security group ingress "OpenHttps" allows tcp 443-443 from anywhere',
  },
  {
    policy: "security-group-no-public-ingress",
    title: "fails with an ingress rule resource open to 0.0.0.0/0",
    resources: [{ type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "OpenAll", inputs: { securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" } }],
    fails: 'Security group ingress "OpenAll" allows all traffic from anywhere',
  },
  { policy: "security-group-no-public-ingress", title: "passes with an egress rule to anywhere", resources: [{ type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "Egress", inputs: { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], securityGroupId: "sg-1" } }] },
  { policy: "subnet-no-public-ip-on-launch", title: "passes for a private subnet", resources: [subnet] },
  {
    policy: "subnet-no-public-ip-on-launch",
    title: "fails when public IPs are mapped on launch",
    resources: [variant(subnet, { mapPublicIpOnLaunch: true })],
    fails: 'Subnet "PrivateSubnetA" gives every network interface launched in it a public IP address; set mapPublicIpOnLaunch to false',
  },
];
