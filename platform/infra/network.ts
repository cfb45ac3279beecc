import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { InvalidCidrError, InvalidComponentArgsError } from "./errors";
import { type Transform, transform } from "./transform";

/** MSK IAM access control over TLS, from inside the VPC (9198 is the public-access port). */
export const MSK_IAM_PORT = 9098;

/** The AWS APIs a created VPC reaches through interface endpoints when `egress` is `endpoints`. */
export const INTERFACE_ENDPOINT_SERVICES = ["lambda", "sts", "states"] as const;

export interface NetworkArgs {
  /**
   * Use an existing VPC instead of creating one. Only the security groups are created; the VPC
   * must already give the private subnets a way to AWS APIs (a NAT gateway, or endpoints for
   * Lambda, STS, Step Functions and DynamoDB).
   *
   * Cannot be combined with `azCount`, `cidr` or `egress`, which shape a VPC this component creates.
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
  };
}

/** The raw resources of a {@link Network}; what exists depends on `existing` and `egress`. */
export interface NetworkNodes {
  vpc?: aws.ec2.Vpc;
  privateSubnets: aws.ec2.Subnet[];
  privateRouteTables: aws.ec2.RouteTable[];
  functionSecurityGroup: aws.ec2.SecurityGroup;
  brokerSecurityGroup: aws.ec2.SecurityGroup;
  endpointSecurityGroup?: aws.ec2.SecurityGroup;
  endpoints: Partial<Record<(typeof INTERFACE_ENDPOINT_SERVICES)[number] | "dynamodb", aws.ec2.VpcEndpoint>>;
  publicSubnet?: aws.ec2.Subnet;
  internetGateway?: aws.ec2.InternetGateway;
  natGateway?: aws.ec2.NatGateway;
}

/**
 * Where the brokers and the functions live: a VPC with private subnets (created, or an existing
 * one) and the security groups that let functions and event source mappings reach the brokers.
 *
 * **Why `endpoints` is the default egress.** The brokers' subnets then have no path to the
 * internet at all. An MSK event source mapping polls the cluster through network interfaces
 * Lambda creates in the cluster's subnets, with the cluster's security groups; in on-demand
 * poller mode it then invokes the function from there, so those subnets must reach Lambda and
 * STS, through a NAT gateway or PrivateLink endpoints (in provisioned mode Lambda carries the
 * invoke itself). See https://docs.aws.amazon.com/lambda/latest/dg/with-msk-cluster-network.html
 * and https://docs.aws.amazon.com/lambda/latest/dg/msk-esm-create.html. The functions themselves
 * call Step Functions (workflow-starting groups) and DynamoDB (idempotency).
 *
 * **Cost.** An interface endpoint costs about $0.01/h per AZ plus $0.01/GB; a NAT gateway about
 * $0.045/h plus $0.045/GB. At 3 endpoints x 2 AZs that is about $44/month against about
 * $33/month + data for one NAT gateway; the DynamoDB gateway endpoint is free.
 *
 * **Security groups** (also for an existing VPC):
 * - `functionSecurityGroupId` for every function in the VPC: egress to anywhere, no ingress.
 * - `brokerSecurityGroupId` for the brokers: TCP 9098 (MSK IAM over TLS) from the function group
 *   and from itself, because the event source mapping's pollers use the cluster's security
 *   groups; egress to anywhere (the pollers reach Lambda and STS with it).
 * - for created interface endpoints: TCP 443 from both groups above, nothing else.
 *
 * @example
 * const network = new Network("Network", { azCount: 2, egress: "endpoints" });
 * @example
 * const network = new Network("Network", {
 *   existing: { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] },
 * });
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly functionSecurityGroupId: pulumi.Output<string>;
  readonly brokerSecurityGroupId: pulumi.Output<string>;
  readonly nodes: NetworkNodes;

  constructor(name: string, args: NetworkArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:Network", name, {}, opts);
    const parent = this;
    // Name tags only make the console readable; the stack keeps two stacks' VPCs apart there.
    const label = `${pulumi.getStack()}-${name}`;
    if (args.existing) checkExistingArgs(name, args, args.existing);
    const layout = args.existing ? useExisting(args.existing) : createLayout(checkCreatedArgs(name, args));
    const created = layout.created;
    const functionSecurityGroup = createFunctionSecurityGroup();
    const brokerSecurityGroup = createBrokerSecurityGroup();
    const endpointSecurityGroup = created?.settings.egress === "endpoints" ? createEndpointSecurityGroup() : undefined;
    const endpoints: NetworkNodes["endpoints"] = {};
    if (created && endpointSecurityGroup) createInterfaceEndpoints(created, endpointSecurityGroup);
    if (created) endpoints.dynamodb = createDynamodbEndpoint(created);
    const nat = created?.settings.egress === "nat" ? createNat(created) : undefined;

    this.vpcId = layout.vpcId;
    this.privateSubnetIds = layout.privateSubnetIds;
    this.functionSecurityGroupId = functionSecurityGroup.id;
    this.brokerSecurityGroupId = brokerSecurityGroup.id;
    this.nodes = {
      vpc: created?.vpc,
      privateSubnets: layout.privateSubnets,
      privateRouteTables: layout.privateRouteTables,
      functionSecurityGroup,
      brokerSecurityGroup,
      endpointSecurityGroup,
      endpoints,
      ...nat,
    };
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      functionSecurityGroupId: this.functionSecurityGroupId,
      brokerSecurityGroupId: this.brokerSecurityGroupId,
    });

    function useExisting(existing: NonNullable<NetworkArgs["existing"]>): Layout {
      return {
        vpcId: pulumi.output(existing.vpcId),
        privateSubnetIds: pulumi.output(existing.privateSubnetIds),
        privateSubnets: [],
        privateRouteTables: [],
      };
    }

    function createLayout(settings: CreatedSettings): Layout {
      const zone = lookupZones(settings.azCount);
      const region = aws.getRegionOutput({}, { parent }).region;
      const vpc = createVpc(settings.cidr);
      const privateSubnets = createPrivateSubnets(vpc, settings, zone);
      return {
        vpcId: vpc.id,
        privateSubnetIds: pulumi.all(privateSubnets.map((subnet) => subnet.id)),
        privateSubnets,
        privateRouteTables: createPrivateRouteTables(vpc, privateSubnets),
        created: { vpc, settings, zone, region },
      };
    }

    function lookupZones(azCount: number) {
      // Standard AZs only: local and wavelength zones need an opt-in and host no MSK brokers.
      const zones = aws.getAvailabilityZonesOutput(
        { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
        { parent },
      );
      return (index: number) =>
        zones.names.apply((names) => {
          const zone = names[index];
          if (zone === undefined || names.length < azCount) {
            throw new InvalidComponentArgsError(
              `Network "${name}": azCount is ${azCount} but the region has ${names.length} available AZs; set azCount to at most ${names.length}, or deploy to a region with ${azCount}.`,
            );
          }
          return zone;
        });
    }

    function createVpc(cidr: string) {
      const vpcName = `${name}Vpc`;
      return new aws.ec2.Vpc(
        vpcName,
        transform(args.transform?.vpc, vpcName, {
          cidrBlock: cidr,
          // Private DNS on interface endpoints needs both.
          enableDnsSupport: true,
          enableDnsHostnames: true,
          tags: { Name: label },
        }),
        { parent },
      );
    }

    function createPrivateSubnets(vpc: aws.ec2.Vpc, settings: CreatedSettings, zone: (index: number) => pulumi.Output<string>) {
      return Array.from({ length: settings.azCount }, (_, index) => {
        const subnetName = `${name}PrivateSubnet${index + 1}`;
        return new aws.ec2.Subnet(
          subnetName,
          transform(args.transform?.subnet, subnetName, {
            vpcId: vpc.id,
            cidrBlock: cidrSubnet(settings.cidr, 2, index),
            availabilityZone: zone(index),
            mapPublicIpOnLaunch: false,
            tags: { Name: `${label}-private-${index + 1}` },
          }),
          { parent },
        );
      });
    }

    function createPrivateRouteTables(vpc: aws.ec2.Vpc, subnets: aws.ec2.Subnet[]) {
      return subnets.map((subnet, index) => {
        const tableName = `${name}PrivateRouteTable${index + 1}`;
        const table = new aws.ec2.RouteTable(
          tableName,
          transform(args.transform?.routeTable, tableName, { vpcId: vpc.id, tags: { Name: `${label}-private-${index + 1}` } }),
          { parent },
        );
        associate(`${name}PrivateRouteTableAssociation${index + 1}`, table, subnet);
        return table;
      });
    }

    function associate(associationName: string, table: aws.ec2.RouteTable, subnet: aws.ec2.Subnet) {
      return new aws.ec2.RouteTableAssociation(
        associationName,
        transform(args.transform?.routeTableAssociation, associationName, { routeTableId: table.id, subnetId: subnet.id }),
        { parent },
      );
    }

    function createFunctionSecurityGroup() {
      const groupName = `${name}FunctionSecurityGroup`;
      return new aws.ec2.SecurityGroup(
        groupName,
        transform(args.transform?.securityGroup, groupName, {
          vpcId: layout.vpcId,
          description: "Ensemble functions: no ingress, egress to anywhere",
          egress: [egressToAnywhere],
          tags: { Name: `${label}-functions` },
        }),
        { parent },
      );
    }

    function createBrokerSecurityGroup() {
      const groupName = `${name}BrokerSecurityGroup`;
      return new aws.ec2.SecurityGroup(
        groupName,
        transform(args.transform?.securityGroup, groupName, {
          vpcId: layout.vpcId,
          description: "Ensemble MSK brokers and event source mapping pollers: MSK IAM over TLS",
          ingress: [
            {
              description: "MSK IAM over TLS from functions",
              protocol: "tcp",
              fromPort: MSK_IAM_PORT,
              toPort: MSK_IAM_PORT,
              securityGroups: [functionSecurityGroup.id],
            },
            {
              // Lambda's pollers use the cluster's security groups, so the group must admit itself.
              description: "MSK IAM over TLS from event source mapping pollers (same group)",
              protocol: "tcp",
              fromPort: MSK_IAM_PORT,
              toPort: MSK_IAM_PORT,
              self: true,
            },
          ],
          egress: [egressToAnywhere],
          tags: { Name: `${label}-brokers` },
        }),
        { parent },
      );
    }

    function createEndpointSecurityGroup() {
      const groupName = `${name}EndpointSecurityGroup`;
      return new aws.ec2.SecurityGroup(
        groupName,
        transform(args.transform?.securityGroup, groupName, {
          vpcId: layout.vpcId,
          description: "Ensemble interface endpoints: HTTPS from functions and pollers",
          ingress: [
            {
              description: "HTTPS from functions and event source mapping pollers",
              protocol: "tcp",
              fromPort: 443,
              toPort: 443,
              securityGroups: [functionSecurityGroup.id, brokerSecurityGroup.id],
            },
          ],
          // No egress rule: endpoints only answer, and security groups are stateful.
          tags: { Name: `${label}-endpoints` },
        }),
        { parent },
      );
    }

    function createInterfaceEndpoints({ vpc, region }: CreatedLayout, securityGroup: aws.ec2.SecurityGroup) {
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        const endpointName = `${name}${ENDPOINT_NAMES[service]}Endpoint`;
        endpoints[service] = new aws.ec2.VpcEndpoint(
          endpointName,
          transform(args.transform?.endpoint, endpointName, {
            vpcId: vpc.id,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: layout.privateSubnets.map((subnet) => subnet.id),
            securityGroupIds: [securityGroup.id],
            tags: { Name: `${label}-${service}` },
          }),
          { parent },
        );
      }
    }

    function createDynamodbEndpoint({ vpc, region }: CreatedLayout) {
      const endpointName = `${name}DynamodbEndpoint`;
      return new aws.ec2.VpcEndpoint(
        endpointName,
        transform(args.transform?.endpoint, endpointName, {
          vpcId: vpc.id,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.dynamodb`,
          vpcEndpointType: "Gateway",
          routeTableIds: layout.privateRouteTables.map((table) => table.id),
          tags: { Name: `${label}-dynamodb` },
        }),
        { parent },
      );
    }

    function createNat({ vpc, settings, zone }: CreatedLayout) {
      const subnetName = `${name}PublicSubnet`;
      const publicSubnet = new aws.ec2.Subnet(
        subnetName,
        transform(args.transform?.subnet, subnetName, {
          vpcId: vpc.id,
          cidrBlock: cidrSubnet(settings.cidr, 4, 15),
          availabilityZone: zone(0),
          // Only the NAT gateway lives here, with its own Elastic IP.
          mapPublicIpOnLaunch: false,
          tags: { Name: `${label}-public` },
        }),
        { parent },
      );
      const gatewayName = `${name}InternetGateway`;
      const internetGateway = new aws.ec2.InternetGateway(
        gatewayName,
        transform(args.transform?.internetGateway, gatewayName, { vpcId: vpc.id, tags: { Name: label } }),
        { parent },
      );
      const tableName = `${name}PublicRouteTable`;
      const publicRouteTable = new aws.ec2.RouteTable(
        tableName,
        transform(args.transform?.routeTable, tableName, { vpcId: vpc.id, tags: { Name: `${label}-public` } }),
        { parent },
      );
      associate(`${name}PublicRouteTableAssociation`, publicRouteTable, publicSubnet);
      route(`${name}PublicRoute`, { routeTableId: publicRouteTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id });

      const ipName = `${name}NatElasticIp`;
      const elasticIp = new aws.ec2.Eip(ipName, transform(args.transform?.elasticIp, ipName, { domain: "vpc", tags: { Name: `${label}-nat` } }), {
        parent,
      });
      const natName = `${name}NatGateway`;
      const natGateway = new aws.ec2.NatGateway(
        natName,
        transform(args.transform?.natGateway, natName, {
          allocationId: elasticIp.allocationId,
          subnetId: publicSubnet.id,
          connectivityType: "public",
          tags: { Name: label },
        }),
        // A public NAT gateway needs the internet gateway attached first.
        { parent, dependsOn: [internetGateway] },
      );
      layout.privateRouteTables.forEach((table, index) =>
        route(`${name}PrivateRoute${index + 1}`, { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: natGateway.id }),
      );
      return { publicSubnet, internetGateway, natGateway };
    }

    function route(routeName: string, routeArgs: aws.ec2.RouteArgs) {
      return new aws.ec2.Route(routeName, transform(args.transform?.route, routeName, routeArgs), { parent });
    }
  }
}

const ENDPOINT_NAMES = { lambda: "Lambda", sts: "Sts", states: "States" } as const;

interface CreatedSettings {
  azCount: 2 | 3;
  cidr: string;
  egress: "endpoints" | "nat";
}

interface CreatedLayout {
  vpc: aws.ec2.Vpc;
  settings: CreatedSettings;
  zone: (index: number) => pulumi.Output<string>;
  region: pulumi.Output<string>;
}

/** The VPC and private subnets, whoever made them; `created` only when this component did. */
interface Layout {
  vpcId: pulumi.Output<string>;
  privateSubnetIds: pulumi.Output<string[]>;
  privateSubnets: aws.ec2.Subnet[];
  privateRouteTables: aws.ec2.RouteTable[];
  created?: CreatedLayout;
}

const egressToAnywhere: aws.types.input.ec2.SecurityGroupEgress = {
  description: "Anywhere",
  protocol: "-1",
  fromPort: 0,
  toPort: 0,
  cidrBlocks: ["0.0.0.0/0"],
};

function checkCreatedArgs(name: string, args: NetworkArgs): CreatedSettings {
  const settings: CreatedSettings = { azCount: args.azCount ?? 2, cidr: args.cidr ?? "10.40.0.0/16", egress: args.egress ?? "endpoints" };
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

function checkExistingArgs(name: string, args: NetworkArgs, existing: NonNullable<NetworkArgs["existing"]>) {
  const conflicting = (["azCount", "cidr", "egress"] as const).filter((key) => args[key] !== undefined);
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

/**
 * The `index`-th subnet of `cidr` with `newBits` more prefix bits, like Terraform's `cidrsubnet`:
 * `cidrSubnet("10.40.0.0/16", 2, 1)` is `"10.40.64.0/18"`.
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const { base, prefix } = parseCidr(cidr);
  const length = prefix + newBits;
  if (length > 32) throw new InvalidCidrError(`cannot take ${newBits} more bits from ${cidr}: a /${prefix} has only ${32 - prefix} left; give a shorter prefix or fewer bits.`);
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** newBits) {
    throw new InvalidCidrError(`${cidr} has ${2 ** newBits} subnets of /${length}; there is no subnet ${index}. Give an index from 0 to ${2 ** newBits - 1}.`);
  }
  const network = base - (base % 2 ** (32 - prefix)) + index * 2 ** (32 - length);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join(".")}/${length}`;
}

/** `what` names where the CIDR came from, e.g. `Network "Net": cidr`. */
function parseCidr(cidr: string, what = "CIDR"): { base: number; prefix: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const numbers = match ? match.slice(1).map(Number) : [];
  const octets = numbers.slice(0, 4);
  const prefix = numbers[4] ?? -1;
  if (!match || octets.some((octet) => octet > 255) || prefix > 32) {
    throw new InvalidCidrError(`${what} "${cidr}" is not an IPv4 CIDR; give one such as 10.40.0.0/16.`);
  }
  return { base: octets.reduce((value, octet) => value * 256 + octet, 0), prefix };
}
