import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pascal } from "../model";
import { cidrSubnet } from "./cidr";
import { InvalidComponentArgsError } from "./errors";
import { VpcFlowLog } from "./flow-log";
import { checkCreatedArgs, checkExistingArgs, type CreatedSettings, type NetworkArgs } from "./network-args";
import { transform } from "./transform";
import { closeVpcDefaults } from "./vpc-defaults";

export type { NetworkArgs };

/** MSK IAM access control over TLS, from inside the VPC (9198 is the public-access port). */
export const MSK_IAM_PORT = 9098;

/** The AWS APIs a created VPC reaches through interface endpoints when `egress` is `endpoints`. */
export const INTERFACE_ENDPOINT_SERVICES = ["lambda", "sts", "states"] as const;

/** The raw resources of a {@link Network}; what exists depends on `existing` and `egress`. */
export interface NetworkNodes {
  vpc?: aws.ec2.Vpc;
  privateSubnets: aws.ec2.Subnet[];
  privateRouteTables: aws.ec2.RouteTable[];
  functionSecurityGroup: aws.ec2.SecurityGroup;
  brokerSecurityGroup: aws.ec2.SecurityGroup;
  endpointSecurityGroup?: aws.ec2.SecurityGroup;
  /** By service name: `lambda`, `sts`, `states`, `dynamodb`, and any of `endpoints`. */
  endpoints: Record<string, aws.ec2.VpcEndpoint>;
  /** A created VPC's default security group (no rules) and network ACL (see {@link closeVpcDefaults}). */
  defaultSecurityGroup?: aws.ec2.DefaultSecurityGroup;
  defaultNetworkAcl?: aws.ec2.DefaultNetworkAcl;
  flowLog?: VpcFlowLog;
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
 * - a created VPC's default group and default network ACL are taken over ({@link closeVpcDefaults}).
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
    const interfaceServices = created ? [...(created.settings.egress === "endpoints" ? INTERFACE_ENDPOINT_SERVICES : []), ...created.settings.endpoints] : [];
    const endpointSecurityGroup = interfaceServices.length > 0 ? createEndpointSecurityGroup() : undefined;
    const endpoints: NetworkNodes["endpoints"] = {};
    if (created && endpointSecurityGroup) createInterfaceEndpoints(created, interfaceServices, endpointSecurityGroup);
    if (created) endpoints.dynamodb = createDynamodbEndpoint(created);
    const nat = created?.settings.egress === "nat" ? createNat(created) : undefined;
    const subnetIds = [...layout.privateSubnets, ...(nat ? [nat.publicSubnet] : [])].map((subnet) => subnet.id);
    const defaults = created && closeVpcDefaults(name, { vpc: created.vpc, subnetIds, cidr: created.settings.cidr, nat: !!nat, label, transform: args.transform }, { parent });
    const flowLog = created ? createFlowLog(created) : undefined;

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
      ...(defaults || {}),
      flowLog,
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

    function createInterfaceEndpoints({ vpc, region }: CreatedLayout, services: readonly string[], securityGroup: aws.ec2.SecurityGroup) {
      for (const service of new Set(services)) {
        const endpointName = `${name}${pascal(service)}Endpoint`;
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

    function createFlowLog({ vpc }: CreatedLayout) {
      return new VpcFlowLog(`${name}FlowLog`, { vpcId: vpc.id, physicalName: label, logs: args.flowLogs, transform: args.transform?.flowLog }, { parent });
    }

    function route(routeName: string, routeArgs: aws.ec2.RouteArgs) {
      return new aws.ec2.Route(routeName, transform(args.transform?.route, routeName, routeArgs), { parent });
    }
  }
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
