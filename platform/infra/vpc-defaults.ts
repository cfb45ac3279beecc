import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type Transform, transform } from "./transform";

/** What every created VPC has whether asked for or not, taken over so it allows no more than it must. */
export interface VpcDefaults {
  /** No rules at all (Security Hub EC2.2): nothing lands in it by accident. */
  defaultSecurityGroup: aws.ec2.DefaultSecurityGroup;
  /**
   * In from the VPC's own CIDR only, and, with a NAT gateway, TCP return traffic on ephemeral
   * ports but 3389 from the internet; out to anywhere. Never 22 or 3389 from the internet (Security Hub
   * EC2.21, Control Tower CT.EC2.PR.5): AWS's default ACL allows everything in.
   */
  defaultNetworkAcl: aws.ec2.DefaultNetworkAcl;
}

/**
 * Takes over a created VPC's default security group and default network ACL.
 *
 * @example
 * closeVpcDefaults("Network", { vpc, cidr: "10.40.0.0/16", nat: false, label: "dev-Network" }, { parent });
 */
export function closeVpcDefaults(
  name: string,
  args: {
    vpc: aws.ec2.Vpc;
    /**
     * Every subnet of the VPC: they all use its default ACL, and the provider shows a subnet it
     * is not told of as one to remove on every preview.
     */
    subnetIds: pulumi.Input<string>[];
    cidr: string;
    /** A NAT gateway's replies from the internet must come in: network ACLs are stateless. */
    nat: boolean;
    label: string;
    transform?: { defaultSecurityGroup?: Transform<aws.ec2.DefaultSecurityGroupArgs>; defaultNetworkAcl?: Transform<aws.ec2.DefaultNetworkAclArgs> };
  },
  opts: { parent: pulumi.Resource },
): VpcDefaults {
  const groupName = `${name}DefaultSecurityGroup`;
  const defaultSecurityGroup = new aws.ec2.DefaultSecurityGroup(
    groupName,
    transform(args.transform?.defaultSecurityGroup, groupName, { vpcId: args.vpc.id, ingress: [], egress: [], tags: { Name: `${args.label}-default-closed` } }),
    opts,
  );
  const aclName = `${name}DefaultNetworkAcl`;
  const defaultNetworkAcl = new aws.ec2.DefaultNetworkAcl(
    aclName,
    transform(args.transform?.defaultNetworkAcl, aclName, {
      defaultNetworkAclId: args.vpc.defaultNetworkAclId,
      subnetIds: args.subnetIds,
      ingress: [
        { ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: args.cidr },
        // NAT gateways use source ports 1024-65535 (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html);
        // 3389 (RDP) stays shut, so a reply to the one NAT connection in 64,512 on that port is
        // dropped and its client retries.
        ...(args.nat
          ? [
              { ruleNo: 200, action: "allow", protocol: "tcp", fromPort: 1024, toPort: 3388, cidrBlock: "0.0.0.0/0" },
              { ruleNo: 210, action: "allow", protocol: "tcp", fromPort: 3390, toPort: 65535, cidrBlock: "0.0.0.0/0" },
            ]
          : []),
      ],
      egress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "0.0.0.0/0" }],
      tags: { Name: `${args.label}-default` },
    }),
    opts,
  );
  return { defaultSecurityGroup, defaultNetworkAcl };
}
