import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forTypes, list, subject } from "../lib/define";

const VPC = "aws:ec2/vpc:Vpc";
const DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
const FLOW_LOG = "aws:ec2/flowLog:FlowLog";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SUBNET = "aws:ec2/subnet:Subnet";
const DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl";
const NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl";
const NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule";

/** Remote administration: SSH and RDP. */
const ADMIN_PORTS = [22, 3389];

/** The address ranges that mean "the whole internet". */
const ANYWHERE = ["0.0.0.0/0", "::/0"];

export const networkPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  {
    name: "vpc-default-security-group-closed",
    description:
      "EC2.2: every VPC the stack creates has its default security group adopted (an aws:ec2/defaultSecurityGroup:DefaultSecurityGroup whose vpcId comes from the VPC) with no ingress and no egress rules.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      for (const vpc of args.resources.filter((r) => r.type === VPC)) {
        const groups = attachedTo(vpc, DEFAULT_SECURITY_GROUP, args.resources);
        if (groups.length === 0) {
          report(`${subject("VPC", vpc)} leaves its default security group's rules in place; add an aws.ec2.DefaultSecurityGroup with vpcId: <the VPC>.id and no ingress or egress rules.`, vpc.urn);
        }
        for (const group of groups) {
          const ingress = list(group.props.ingress).length;
          const egress = list(group.props.egress).length;
          if (ingress + egress > 0) {
            report(`${subject("Default security group", group)} of VPC "${vpc.name}" has ${ingress} ingress and ${egress} egress rule(s); set ingress and egress to [] and give the traffic a security group of its own.`, group.urn);
          }
        }
      }
    },
  },
  {
    name: "vpc-flow-logs",
    description: "EC2.6: every VPC the stack creates has a flow log (an aws:ec2/flowLog:FlowLog whose vpcId comes from the VPC) that captures rejected traffic (trafficType REJECT or ALL).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      for (const vpc of args.resources.filter((r) => r.type === VPC)) {
        const logs = attachedTo(vpc, FLOW_LOG, args.resources);
        if (!logs.some((log) => log.props.trafficType === "ALL" || log.props.trafficType === "REJECT")) {
          const found = logs.length > 0 ? ` (its flow log captures only ${logs.map((log) => log.props.trafficType).join(", ")} traffic)` : "";
          report(`${subject("VPC", vpc)} has no flow log of rejected traffic${found}; add an aws.ec2.FlowLog with vpcId: <the VPC>.id and trafficType "ALL" or "REJECT".`, vpc.urn);
        }
      }
    },
  },
  {
    name: "security-group-no-public-ingress",
    description:
      "EC2.18, EC2.19, CT.EC2.PR.3, CT.EC2.PR.4, made stricter: no security group, security group rule or ingress rule allows ingress from 0.0.0.0/0 or ::/0 on any port (those controls still allow ports 80 and 443; nothing here is served to the internet).",
    enforcementLevel: "mandatory",
    validateResource: forTypes([SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE], (props, args, report) => {
      const open = publicIngress(args.type, props);
      if (open.length > 0) {
        report(`${subject("Security group ingress", args)} allows ${open.join("; ")} from anywhere (${ANYWHERE.join(" or ")}); allow only the security groups or private CIDR ranges that need to connect.`);
      }
    }),
  },
  {
    name: "network-acl-no-admin-ports-from-internet",
    description:
      "EC2.21 (Config rule nacl-no-unrestricted-ssh-rdp), CT.EC2.PR.5: no network ACL allows ingress from 0.0.0.0/0 or ::/0 to port 22 or 3389, and every VPC the stack creates has its default network ACL taken over (an aws:ec2/defaultNetworkAcl:DefaultNetworkAcl whose defaultNetworkAclId comes from the VPC): AWS's own default ACL allows all inbound traffic.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      for (const vpc of args.resources.filter((r) => r.type === VPC)) {
        const acls = args.resources.filter((r) => r.type === DEFAULT_NETWORK_ACL && (r.propertyDependencies.defaultNetworkAclId ?? []).some((d) => d.urn === vpc.urn));
        if (acls.length === 0) {
          report(`${subject("VPC", vpc)} keeps AWS's default network ACL, which allows all inbound traffic (SSH and RDP from anywhere included); add an aws.ec2.DefaultNetworkAcl with defaultNetworkAclId: <the VPC>.defaultNetworkAclId and ingress from the VPC's CIDR only.`, vpc.urn);
        }
      }
      for (const acl of args.resources.filter((r) => [DEFAULT_NETWORK_ACL, NETWORK_ACL, NETWORK_ACL_RULE].includes(r.type))) {
        const entries = acl.type === NETWORK_ACL_RULE ? (acl.props.egress === true ? [] : [{ ...acl.props, action: acl.props.ruleAction }]) : list(acl.props.ingress);
        const open = entries.filter((entry) => entry.action === "allow" && ANYWHERE.some((range) => range === entry.cidrBlock || range === entry.ipv6CidrBlock) && opensAdminPort(entry));
        if (open.length > 0) {
          report(`${subject("Network ACL", acl)} lets the internet reach port 22 or 3389 (rule ${open.map((entry) => entry.ruleNo ?? entry.ruleNumber).join(", ")}); allow inbound traffic from the VPC's CIDR, and from anywhere only on ports that exclude 22 and 3389 (NAT replies: 1024-3388 and 3390-65535).`, acl.urn);
        }
      }
    },
  },
  {
    name: "subnet-no-public-ip-on-launch",
    description: "EC2.15: a subnet does not give network interfaces launched in it a public IPv4 address (mapPublicIpOnLaunch not true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(SUBNET, (props, args, report) => {
      if (props.mapPublicIpOnLaunch === true) {
        report(`${subject("Subnet", args)} gives every network interface launched in it a public IP address; set mapPublicIpOnLaunch to false (a NAT gateway's Elastic IP does not need it).`);
      }
    }),
  },
];

/** Whether a network ACL entry's protocol and port range take in SSH or RDP. */
function opensAdminPort(entry: Record<string, any>): boolean {
  const protocol = String(entry.protocol ?? "-1").toLowerCase();
  if (protocol === "-1" || protocol === "all") return true;
  if (!["tcp", "udp", "6", "17"].includes(protocol)) return false;
  const from = Number(entry.fromPort ?? 0);
  const to = Number(entry.toPort ?? 65535);
  return ADMIN_PORTS.some((port) => from <= port && port <= to);
}

/** The resources of `type` whose vpcId input came from the VPC resource. */
function attachedTo(vpc: PolicyResource, type: string, resources: PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => r.type === type && (r.propertyDependencies.vpcId ?? []).some((dependency) => dependency.urn === vpc.urn));
}

/** Each ingress the resource opens to the internet, described by protocol and ports. */
function publicIngress(type: string, props: Record<string, any>): string[] {
  const ports = (rule: Record<string, any>) => {
    const protocol = String(rule.protocol ?? rule.ipProtocol ?? "-1");
    return protocol === "-1" ? "all traffic" : `${protocol} ${rule.fromPort}-${rule.toPort}`;
  };
  const isOpen = (ranges: unknown[]) => ranges.some((range) => ANYWHERE.includes(String(range)));
  switch (type) {
    case SECURITY_GROUP:
      return list(props.ingress)
        .filter((rule) => isOpen([...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)]))
        .map(ports);
    case SECURITY_GROUP_RULE:
      return props.type === "ingress" && isOpen([...list(props.cidrBlocks), ...list(props.ipv6CidrBlocks)]) ? [ports(props)] : [];
    default:
      return isOpen([props.cidrIpv4, props.cidrIpv6]) ? [ports(props)] : [];
  }
}
