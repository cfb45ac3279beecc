import * as aws from "@pulumi/aws";
import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

type VpcParts = {
  defaultGroup?: Partial<aws.ec2.DefaultSecurityGroupArgs> | false;
  flowLog?: Partial<aws.ec2.FlowLogArgs> | false;
  defaultAcl?: Partial<aws.ec2.DefaultNetworkAclArgs> | false;
};

/** The default ACL a created VPC gets: in from its CIDR and NAT replies, out anywhere. */
const closedAcl = {
  ingress: [
    { ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "10.50.0.0/16" },
    { ruleNo: 200, action: "allow", protocol: "tcp", fromPort: 1024, toPort: 3388, cidrBlock: "0.0.0.0/0" },
    { ruleNo: 210, action: "allow", protocol: "tcp", fromPort: 3390, toPort: 65535, cidrBlock: "0.0.0.0/0" },
  ],
  egress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "0.0.0.0/0" }],
};

/**
 * A VPC, and unless told otherwise its closed default security group and a flow log of all
 * traffic, each taking vpcId from the VPC: the property dependency the stack policies follow.
 */
function vpcProgram(name: string, parts: VpcParts = {}): () => aws.ec2.Vpc {
  return () => {
    const vpc = new aws.ec2.Vpc(name, { cidrBlock: "10.50.0.0/16" });
    if (parts.defaultGroup !== false) new aws.ec2.DefaultSecurityGroup(`${name}DefaultSecurityGroup`, { vpcId: vpc.id, ingress: [], egress: [], ...parts.defaultGroup });
    if (parts.defaultAcl !== false) new aws.ec2.DefaultNetworkAcl(`${name}DefaultNetworkAcl`, { defaultNetworkAclId: vpc.defaultNetworkAclId, ...closedAcl, ...parts.defaultAcl });
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
  { policy: "network-acl-no-admin-ports-from-internet", title: "passes with the default ACL taken over: the VPC's CIDR, and NAT replies on ephemeral ports", program: vpcProgram("Vpc") },
  {
    policy: "network-acl-no-admin-ports-from-internet",
    title: "fails when the VPC keeps AWS's default ACL",
    program: vpcProgram("Vpc", { defaultAcl: false }),
    fails: 'VPC "Vpc" keeps AWS\'s default network ACL, which allows all inbound traffic',
  },
  {
    policy: "network-acl-no-admin-ports-from-internet",
    title: "fails when the default ACL lets all traffic in from anywhere",
    program: vpcProgram("Vpc", { defaultAcl: { ingress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "0.0.0.0/0" }] } }),
    fails: 'Network ACL "VpcDefaultNetworkAcl" lets the internet reach port 22 or 3389 (rule 100)',
  },
  {
    policy: "network-acl-no-admin-ports-from-internet",
    title: "fails when NAT replies are let in on every ephemeral port, 3389 included",
    program: vpcProgram("Vpc", { defaultAcl: { ingress: [{ ruleNo: 200, action: "allow", protocol: "tcp", fromPort: 1024, toPort: 65535, cidrBlock: "0.0.0.0/0" }] } }),
    fails: 'Network ACL "VpcDefaultNetworkAcl" lets the internet reach port 22 or 3389 (rule 200)',
  },
  {
    policy: "network-acl-no-admin-ports-from-internet",
    title: "fails with a rule opening RDP to ::/0",
    resources: [{ type: "aws:ec2/networkAclRule:NetworkAclRule", name: "Rdp", inputs: { networkAclId: "acl-1", ruleNumber: 300, egress: false, protocol: "tcp", ruleAction: "allow", ipv6CidrBlock: "::/0", fromPort: 3389, toPort: 3389 } }],
    fails: 'Network ACL "Rdp" lets the internet reach port 22 or 3389 (rule 300)',
  },
  { policy: "network-acl-no-admin-ports-from-internet", title: "passes with a rule that denies SSH from anywhere", resources: [{ type: "aws:ec2/networkAclRule:NetworkAclRule", name: "NoSsh", inputs: { networkAclId: "acl-1", ruleNumber: 50, egress: false, protocol: "tcp", ruleAction: "deny", cidrBlock: "0.0.0.0/0", fromPort: 22, toPort: 22 } }] },
  { policy: "subnet-no-public-ip-on-launch", title: "passes for a private subnet", resources: [subnet] },
  {
    policy: "subnet-no-public-ip-on-launch",
    title: "fails when public IPs are mapped on launch",
    resources: [variant(subnet, { mapPublicIpOnLaunch: true })],
    fails: 'Subnet "PrivateSubnetA" gives every network interface launched in it a public IP address; set mapPublicIpOnLaunch to false',
  },
];
