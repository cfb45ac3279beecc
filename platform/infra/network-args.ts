import { InvalidComponentArgsError } from "./errors";
import { parseCidr } from "./cidr";
import type { VpcFlowLogArgs } from "./flow-log";
import type { LogSettings } from "./function";
import type { Transform } from "./transform";
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
  /**
   * Use an existing VPC instead of creating one. Only the security groups are created; the VPC
   * must already give the private subnets a way to AWS APIs (a NAT gateway, or endpoints for
   * Lambda, STS, Step Functions and DynamoDB).
   *
   * Cannot be combined with `azCount`, `cidr`, `egress`, `endpoints` or `flowLogs`, which shape a
   * VPC this component creates (an existing VPC's flow logs and default security group are its owner's).
   * @default a VPC is created
   * @example
   * existing: { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] }
   */
  existing?: {
    vpcId: pulumi.Input<string>;
    /** Private subnets, one per AZ the brokers spread over; at least 2. */
    privateSubnetIds: pulumi.Input<string>[];
  };
  /**
   * How many AZs a created VPC spans, one private subnet each. MSK spreads brokers evenly over
   * them, so the broker count must be a multiple of it.
   * @default 2
   * @example
   * azCount: 3
   */
  azCount?: 2 | 3;
  /**
   * IPv4 CIDR of a created VPC, `/16` to `/24`. Private subnet `i` is the `i`-th quarter of it;
   * the NAT gateway's public subnet is its last sixteenth.
   * @default "10.40.0.0/16"
   * @example
   * cidr: "10.60.0.0/20"
   */
  cidr?: string;
  /**
   * How functions, and the MSK event source mapping's pollers, reach AWS APIs from a created VPC.
   *
   * - `endpoints`: interface endpoints for `lambda`, `sts` and `states` in every private subnet
   *   (private DNS on), and a gateway endpoint for `dynamodb`. Nothing in the VPC has a path to
   *   the internet. About $44/month at 2 AZs (3 endpoints x 2 AZs x $0.01/h) plus $0.01/GB.
   * - `nat`: one public subnet, an internet gateway and a single NAT gateway, about $33/month
   *   ($0.045/h) plus $0.045/GB. Cheapest, but the NAT gateway lives in one AZ: if that AZ
   *   fails, the functions in the other AZs lose their way to AWS APIs too. The free DynamoDB
   *   gateway endpoint is added as well, so idempotency writes skip the per-GB NAT charge.
   * @default "endpoints"
   * @example
   * egress: "nat"
   */
  egress?: "endpoints" | "nat";
  /**
   * More interface endpoints in a created VPC, by service name (`com.amazonaws.<region>.<service>`),
   * for the AWS APIs task functions in the VPC call; created whatever the `egress`.
   * @default none beyond what `egress: endpoints` creates
   * @example
   * endpoints: ["secretsmanager", "sqs"]
   */
  endpoints?: readonly string[];
  /**
   * The flow log of a created VPC: retention and encryption of its log group.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * flowLogs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  flowLogs?: LogSettings;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { vpc: { tags: { CostCenter: "events" } } }
   * @example
   * transform: { securityGroup: (args, name) => { args.tags = { Name: name }; } }
   */
  transform?: {
    vpc?: Transform<aws.ec2.VpcArgs>;
    /** Private subnets and the NAT gateway's public subnet. */
    subnet?: Transform<aws.ec2.SubnetArgs>;
    routeTable?: Transform<aws.ec2.RouteTableArgs>;
    routeTableAssociation?: Transform<aws.ec2.RouteTableAssociationArgs>;
    /** Default routes to the NAT gateway and the internet gateway. */
    route?: Transform<aws.ec2.RouteArgs>;
    /** The function, broker and endpoint security groups (the name tells them apart). */
    securityGroup?: Transform<aws.ec2.SecurityGroupArgs>;
    /** Interface and gateway VPC endpoints. */
    endpoint?: Transform<aws.ec2.VpcEndpointArgs>;
    internetGateway?: Transform<aws.ec2.InternetGatewayArgs>;
    elasticIp?: Transform<aws.ec2.EipArgs>;
    natGateway?: Transform<aws.ec2.NatGatewayArgs>;
    /** The VPC's default security group, which the component empties of rules. */
    defaultSecurityGroup?: Transform<aws.ec2.DefaultSecurityGroupArgs>;
    /** The VPC's default network ACL, which the component narrows. */
    defaultNetworkAcl?: Transform<aws.ec2.DefaultNetworkAclArgs>;
    flowLog?: VpcFlowLogArgs["transform"];
  };
}

/** The shape of a VPC this component creates, defaults applied. */
export interface CreatedSettings {
  azCount: 2 | 3;
  cidr: string;
  egress: "endpoints" | "nat";
  endpoints: readonly string[];
}

/** Checks the args of a created VPC and fills in its defaults. */
export function checkCreatedArgs(name: string, args: NetworkArgs): CreatedSettings {
  const settings: CreatedSettings = { azCount: args.azCount ?? 2, cidr: args.cidr ?? "10.40.0.0/16", egress: args.egress ?? "endpoints", endpoints: args.endpoints ?? [] };
  if (settings.azCount !== 2 && settings.azCount !== 3) {
    throw new InvalidComponentArgsError(`Network "${name}": azCount must be 2 or 3 (MSK spreads brokers over 2 or 3 AZs), not ${String(settings.azCount)}.`);
  }
  if (settings.egress !== "endpoints" && settings.egress !== "nat") {
    throw new InvalidComponentArgsError(`Network "${name}": egress must be "endpoints" or "nat", not "${String(settings.egress)}".`);
  }
  const prefix = parseCidr(settings.cidr, `Network "${name}": cidr`).prefix;
  if (prefix < 16 || prefix > 24) {
    throw new InvalidComponentArgsError(`Network "${name}": cidr ${settings.cidr} must be a /16 to /24 (AWS allows /16 to /28; the subnets need 4 more bits).`);
  }
  return settings;
}

/** Checks the args of an existing VPC: nothing that shapes a created one, enough subnets. */
export function checkExistingArgs(name: string, args: NetworkArgs, existing: NonNullable<NetworkArgs["existing"]>) {
  const conflicting = (["azCount", "cidr", "egress", "endpoints", "flowLogs"] as const).filter((key) => args[key] !== undefined);
  if (conflicting.length > 0) {
    throw new InvalidComponentArgsError(
      `Network "${name}": \`existing\` cannot be combined with ${conflicting.map((key) => `\`${key}\``).join(", ")}, which shape a VPC this component creates. ` +
        `Leave them out to use the existing VPC, or leave out \`existing\` to create one.`,
    );
  }
  if (existing.privateSubnetIds.length < 2) {
    throw new InvalidComponentArgsError(
      `Network "${name}": an existing VPC needs at least 2 private subnets in different AZs for MSK, got ${existing.privateSubnetIds.length}; list 2 or 3, one per AZ, in \`existing.privateSubnetIds\`.`,
    );
  }
}
