import { cidrSubnet } from "../../../platform/infra/cidr";
import { Network } from "../../../platform/infra/network";
import { awaitOutput, recordResources } from "../../support/pulumi-mocks";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  route: "aws:ec2/route:Route",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  internetGateway: "aws:ec2/internetGateway:InternetGateway",
  eip: "aws:ec2/eip:Eip",
  natGateway: "aws:ec2/natGateway:NatGateway",
  defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  flowLog: "aws:ec2/flowLog:FlowLog",
} as const;

/** What every created VPC gets besides its layout: its default security group emptied and network ACL narrowed, and flow logs with their log group and delivery role. */
const BASELINE = {
  [T.defaultSecurityGroup]: 1,
  "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": 1,
  [T.flowLog]: 1,
  "aws:cloudwatch/logGroup:LogGroup": 1,
  "aws:iam/role:Role": 1,
  "aws:iam/rolePolicy:RolePolicy": 1,
};

describe("Network with a created VPC and endpoints", () => {
  it("creates a VPC, 2 private subnets, 3 interface endpoints and a DynamoDB gateway endpoint", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    const network = new Network("Network", {});
    await mocks.settled();

    // Assess
    expect(mocks.countsByType()).toEqual({
      ...BASELINE,
      [T.vpc]: 1,
      [T.subnet]: 2,
      [T.routeTable]: 2,
      [T.association]: 2,
      [T.securityGroup]: 3,
      [T.endpoint]: 4,
    });
    expect(mocks.byType("ensemble:infra:Network")).toHaveLength(1);
    expect(mocks.named("NetworkVpc").inputs).toMatchObject({ cidrBlock: "10.40.0.0/16", enableDnsSupport: true, enableDnsHostnames: true });
    expect(mocks.byType(T.subnet).map((s) => [s.name, s.inputs.cidrBlock, s.inputs.availabilityZone, s.inputs.mapPublicIpOnLaunch])).toEqual([
      ["NetworkPrivateSubnet1", "10.40.0.0/18", "eu-west-1a", false],
      ["NetworkPrivateSubnet2", "10.40.64.0/18", "eu-west-1b", false],
    ]);
    expect(mocks.byType(T.association).map((a) => [a.inputs.routeTableId, a.inputs.subnetId])).toEqual([
      ["NetworkPrivateRouteTable1-id", "NetworkPrivateSubnet1-id"],
      ["NetworkPrivateRouteTable2-id", "NetworkPrivateSubnet2-id"],
    ]);
    expect(await awaitOutput(network.vpcId)).toBe("NetworkVpc-id");
    expect(await awaitOutput(network.privateSubnetIds)).toEqual(["NetworkPrivateSubnet1-id", "NetworkPrivateSubnet2-id"]);
    expect(await awaitOutput(network.functionSecurityGroupId)).toBe("NetworkFunctionSecurityGroup-id");
    expect(await awaitOutput(network.brokerSecurityGroupId)).toBe("NetworkBrokerSecurityGroup-id");
  });

  it("puts interface endpoints with private DNS in every private subnet, behind the endpoint group", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    const network = new Network("Network", { azCount: 2, egress: "endpoints" });
    await mocks.settled();

    // Assess
    const interfaces = mocks.byType(T.endpoint).filter((e) => e.inputs.vpcEndpointType === "Interface");
    expect(interfaces.map((e) => [e.name, e.inputs.serviceName])).toEqual([
      ["NetworkLambdaEndpoint", "com.amazonaws.eu-west-1.lambda"],
      ["NetworkStsEndpoint", "com.amazonaws.eu-west-1.sts"],
      ["NetworkStatesEndpoint", "com.amazonaws.eu-west-1.states"],
    ]);
    for (const endpoint of interfaces) {
      expect(endpoint.inputs).toMatchObject({
        vpcId: "NetworkVpc-id",
        privateDnsEnabled: true,
        subnetIds: ["NetworkPrivateSubnet1-id", "NetworkPrivateSubnet2-id"],
        securityGroupIds: ["NetworkEndpointSecurityGroup-id"],
      });
    }
    expect(mocks.named("NetworkDynamodbEndpoint").inputs).toMatchObject({
      serviceName: "com.amazonaws.eu-west-1.dynamodb",
      vpcEndpointType: "Gateway",
      routeTableIds: ["NetworkPrivateRouteTable1-id", "NetworkPrivateRouteTable2-id"],
    });
    expect(Object.keys(network.nodes.endpoints).sort()).toEqual(["dynamodb", "lambda", "states", "sts"]);
  });

  it("admits MSK IAM (9098) to the brokers from functions and from the broker group itself, HTTPS to endpoints from both", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    new Network("Network", {});
    await mocks.settled();

    // Assess
    const anywhere = { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] };
    const functions = mocks.named("NetworkFunctionSecurityGroup").inputs;
    expect(functions.vpcId).toBe("NetworkVpc-id");
    expect(functions.ingress).toBeUndefined();
    expect(functions.egress).toEqual([expect.objectContaining(anywhere)]);

    const brokers = mocks.named("NetworkBrokerSecurityGroup").inputs;
    expect(brokers.ingress).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 9098, toPort: 9098, securityGroups: ["NetworkFunctionSecurityGroup-id"] }),
      expect.objectContaining({ protocol: "tcp", fromPort: 9098, toPort: 9098, self: true }),
    ]);
    expect(brokers.egress).toEqual([expect.objectContaining(anywhere)]);

    const endpoints = mocks.named("NetworkEndpointSecurityGroup").inputs;
    expect(endpoints.ingress).toEqual([
      expect.objectContaining({
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        securityGroups: ["NetworkFunctionSecurityGroup-id", "NetworkBrokerSecurityGroup-id"],
      }),
    ]);
    expect(endpoints.egress).toBeUndefined();
  });

  it("spreads over 3 AZs", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    const network = new Network("Network", { azCount: 3, cidr: "10.60.0.0/20" });
    await mocks.settled();

    // Assess
    expect(mocks.countsByType()).toEqual({
      ...BASELINE,
      [T.vpc]: 1,
      [T.subnet]: 3,
      [T.routeTable]: 3,
      [T.association]: 3,
      [T.securityGroup]: 3,
      [T.endpoint]: 4,
    });
    expect(mocks.byType(T.subnet).map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone])).toEqual([
      ["10.60.0.0/22", "eu-west-1a"],
      ["10.60.4.0/22", "eu-west-1b"],
      ["10.60.8.0/22", "eu-west-1c"],
    ]);
    expect(mocks.named("NetworkLambdaEndpoint").inputs.subnetIds).toHaveLength(3);
    expect(await awaitOutput(network.privateSubnetIds)).toHaveLength(3);
    expect(mocks.callsOf("aws:index/getAvailabilityZones:getAvailabilityZones")[0]?.inputs).toMatchObject({ state: "available" });
  });
});

describe("Network with a created VPC and a NAT gateway", () => {
  it("creates one public subnet, an internet gateway and one NAT gateway the private subnets route through", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    const network = new Network("Network", { egress: "nat" });
    await mocks.settled();

    // Assess
    expect(mocks.countsByType()).toEqual({
      ...BASELINE,
      [T.vpc]: 1,
      [T.subnet]: 3,
      [T.routeTable]: 3,
      [T.association]: 3,
      [T.route]: 3,
      [T.internetGateway]: 1,
      [T.eip]: 1,
      [T.natGateway]: 1,
      [T.securityGroup]: 2,
      [T.endpoint]: 1,
    });
    expect(mocks.named("NetworkPublicSubnet").inputs).toMatchObject({ cidrBlock: "10.40.240.0/20", availabilityZone: "eu-west-1a" });
    expect(mocks.named("NetworkNatGateway").inputs).toMatchObject({
      allocationId: "eipalloc-NetworkNatElasticIp",
      subnetId: "NetworkPublicSubnet-id",
      connectivityType: "public",
    });
    expect(mocks.named("NetworkPublicRoute").inputs).toEqual({
      routeTableId: "NetworkPublicRouteTable-id",
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: "NetworkInternetGateway-id",
    });
    expect(["NetworkPrivateRoute1", "NetworkPrivateRoute2"].map((name) => mocks.named(name).inputs)).toEqual([
      { routeTableId: "NetworkPrivateRouteTable1-id", destinationCidrBlock: "0.0.0.0/0", natGatewayId: "NetworkNatGateway-id" },
      { routeTableId: "NetworkPrivateRouteTable2-id", destinationCidrBlock: "0.0.0.0/0", natGatewayId: "NetworkNatGateway-id" },
    ]);
    expect(mocks.named("NetworkDynamodbEndpoint").inputs.vpcEndpointType).toBe("Gateway");
    expect(mocks.byType(T.securityGroup).map((g) => g.name)).toEqual(["NetworkFunctionSecurityGroup", "NetworkBrokerSecurityGroup"]);
    expect(network.nodes.endpointSecurityGroup).toBeUndefined();
    expect(network.nodes.natGateway).toBeDefined();
  });
});

describe("Network's default security group and network ACL", () => {
  it.each([
    ["endpoints", ["NetworkPrivateSubnet1-id", "NetworkPrivateSubnet2-id"], []],
    [
      "nat",
      ["NetworkPrivateSubnet1-id", "NetworkPrivateSubnet2-id", "NetworkPublicSubnet-id"],
      [
        { ruleNo: 200, action: "allow", protocol: "tcp", fromPort: 1024, toPort: 3388, cidrBlock: "0.0.0.0/0" },
        { ruleNo: 210, action: "allow", protocol: "tcp", fromPort: 3390, toPort: 65535, cidrBlock: "0.0.0.0/0" },
      ],
    ],
  ] as const)("with %s egress: no rules in the group; the ACL, on every subnet, lets in the VPC and only NAT replies from outside, never 3389", async (egress, subnets, natReplies) => {
    // Prepare
    const mocks = recordResources();

    // Act
    new Network("Network", { egress });
    await mocks.settled();

    // Assess
    expect(mocks.named("NetworkDefaultSecurityGroup").inputs).toMatchObject({ vpcId: "NetworkVpc-id", ingress: [], egress: [] });
    expect(mocks.named("NetworkDefaultNetworkAcl").inputs).toMatchObject({
      defaultNetworkAclId: "acl-NetworkVpc",
      subnetIds: subnets,
      ingress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "10.40.0.0/16" }, ...natReplies],
      egress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: "0.0.0.0/0" }],
    });
  });
});

describe("Network on an existing VPC", () => {
  it("creates only the function and broker security groups, in that VPC", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    const network = new Network("Network", { existing: { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] } });
    await mocks.settled();

    // Assess
    expect(mocks.countsByType()).toEqual({ [T.securityGroup]: 2 });
    expect(mocks.byType(T.securityGroup).map((g) => g.inputs.vpcId)).toEqual(["vpc-0abc1234", "vpc-0abc1234"]);
    expect(mocks.callsOf("aws:index/getAvailabilityZones:getAvailabilityZones")).toHaveLength(0);
    expect(await awaitOutput(network.vpcId)).toBe("vpc-0abc1234");
    expect(await awaitOutput(network.privateSubnetIds)).toEqual(["subnet-0aaa1111", "subnet-0bbb2222"]);
    expect(network.nodes.vpc).toBeUndefined();
  });
});

describe("Network args", () => {
  beforeEach(() => recordResources());
  const existing = { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] };

  it("refuses an existing VPC with args of a created one", () => {
    expect(() => new Network("Bad", { existing, azCount: 3, egress: "nat" })).toThrow(
      'Network "Bad": `existing` cannot be combined with `azCount`, `egress`, which shape a VPC this component creates.',
    );
  });

  it("refuses an existing VPC with one subnet", () => {
    expect(() => new Network("Bad", { existing: { ...existing, privateSubnetIds: ["subnet-0aaa1111"] } })).toThrow(/at least 2 private subnets/);
  });

  it("refuses an AZ count MSK cannot use and a CIDR the subnets cannot split", () => {
    expect(() => new Network("Bad", { azCount: 4 as 2 })).toThrow(/azCount must be 2 or 3/);
    expect(() => new Network("Bad", { cidr: "10.40.0.0/26" })).toThrow(/must be a \/16 to \/24/);
    expect(() => new Network("Bad", { cidr: "10.400.0.0/16" })).toThrow(/is not an IPv4 CIDR/);
  });

  it("passes each child's args through its transform", async () => {
    // Prepare
    const mocks = recordResources();

    // Act
    new Network("Network", {
      transform: {
        vpc: { tags: { CostCenter: "events" } },
        securityGroup: (args, name) => {
          args.tags = { Name: name };
        },
      },
    });
    await mocks.settled();

    // Assess
    expect(mocks.named("NetworkVpc").inputs.tags).toEqual({ CostCenter: "events" });
    expect(mocks.named("NetworkBrokerSecurityGroup").inputs.tags).toEqual({ Name: "NetworkBrokerSecurityGroup" });
  });
});

describe("cidrSubnet", () => {
  it.each([
    ["10.40.0.0/16", 2, 0, "10.40.0.0/18"],
    ["10.40.0.0/16", 2, 2, "10.40.128.0/18"],
    ["10.40.0.0/16", 4, 15, "10.40.240.0/20"],
    ["10.60.0.0/20", 2, 1, "10.60.4.0/22"],
    ["10.40.7.9/16", 8, 255, "10.40.255.0/24"],
  ])("%s + %i bits, subnet %i is %s", (cidr, bits, index, expected) => {
    expect(cidrSubnet(cidr, bits, index)).toBe(expected);
  });

  it("refuses a subnet that does not exist", () => {
    expect(() => cidrSubnet("10.40.0.0/16", 2, 4)).toThrow("10.40.0.0/16 has 4 subnets of /18; there is no subnet 4.");
  });
});
