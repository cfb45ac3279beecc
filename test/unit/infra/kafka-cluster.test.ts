import { KafkaCluster, serverProperties } from "../../../platform/infra/kafka-cluster";
import { pascal } from "../../../platform/model";
import { Network } from "../../../platform/infra/network";
import { awaitOutput, MOCK_CLUSTER_UUID, recordResources } from "../../support/pulumi-mocks";

const T = {
  cluster: "aws:msk/cluster:Cluster",
  configuration: "aws:msk/configuration:Configuration",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  topic: "aws:msk/topic:Topic",
} as const;

const EXISTING_ARN = `arn:aws:kafka:eu-west-1:123456789012:cluster/shared/${MOCK_CLUSTER_UUID}`;
const existingVpc = { existing: { vpcId: "vpc-0abc1234", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] } };

function mskCounts(counts: Record<string, number>) {
  return Object.fromEntries(Object.entries(counts).filter(([type]) => type.startsWith("aws:msk/") || type.startsWith("aws:cloudwatch/")));
}

describe("KafkaCluster, created", () => {
  it("creates a log group, a configuration and an IAM-only, TLS-only cluster in the network", async () => {
    // Prepare
    const mocks = recordResources({ stack: "dev" });
    const network = new Network("Network", existingVpc);

    // Act
    const kafka = new KafkaCluster("Kafka", {
      network,
      clusterName: "dev-ensemble",
      version: "4.1.x.kraft",
      brokers: 2,
      instanceType: "kafka.t3.small",
      volumeGb: 20,
      partitions: 3,
      logs: { retentionDays: 14 },
    });
    await mocks.settled();

    // Assess
    expect(mskCounts(mocks.countsByType())).toEqual({ [T.logGroup]: 1, [T.configuration]: 1, [T.cluster]: 1 });
    expect(mocks.named("KafkaLogGroup").inputs).toEqual({ name: "/aws/msk/dev-ensemble", retentionInDays: 14 });
    const cluster = mocks.named("KafkaCluster").inputs;
    expect(cluster).toMatchObject({ clusterName: "dev-ensemble", kafkaVersion: "4.1.x.kraft", numberOfBrokerNodes: 2 });
    expect(cluster.clientAuthentication).toEqual({ sasl: { iam: true }, unauthenticated: false });
    expect(cluster.encryptionInfo).toEqual({ encryptionInTransit: { clientBroker: "TLS", inCluster: true } });
    expect(cluster.brokerNodeGroupInfo).toEqual({
      instanceType: "kafka.t3.small",
      clientSubnets: ["subnet-0aaa1111", "subnet-0bbb2222"],
      securityGroups: ["NetworkBrokerSecurityGroup-id"],
      storageInfo: { ebsStorageInfo: { volumeSize: 20 } },
    });
    expect(cluster.configurationInfo).toEqual({
      arn: `arn:aws:kafka:eu-west-1:123456789012:configuration/KafkaConfiguration/${MOCK_CLUSTER_UUID}`,
      revision: 1,
    });
    expect(cluster.loggingInfo).toEqual({ brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: "/aws/msk/dev-ensemble" } } });
    expect(await awaitOutput(kafka.arn)).toBe(`arn:aws:kafka:eu-west-1:123456789012:cluster/dev-ensemble/${MOCK_CLUSTER_UUID}`);
    expect(await awaitOutput(kafka.name)).toBe("dev-ensemble");
    expect(await awaitOutput(kafka.bootstrapBrokersIam)).toMatch(/^b-1\.dev-ensemble\..*:9098,b-2\./);
    expect(kafka.nodes.cluster).toBeDefined();
  });

  it("configures the brokers: no auto-created topics, replication defaults, no unclean leader election", async () => {
    // Prepare
    const mocks = recordResources();
    const network = new Network("Network", existingVpc);

    // Act
    new KafkaCluster("Kafka", { network, clusterName: "dev-ensemble", version: "4.1.x.kraft", brokers: 4, partitions: 6 });
    await mocks.settled();

    // Assess
    expect(mocks.named("KafkaConfiguration").inputs).toMatchObject({
      kafkaVersions: ["4.1.x.kraft"],
      serverProperties: [
        "auto.create.topics.enable=false",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "num.partitions=6",
        "unclean.leader.election.enable=false",
      ].join("\n"),
    });
  });

  it("defaults to a two-broker cluster named after the stack, with a customer key when given", async () => {
    // Prepare
    const mocks = recordResources({ stack: "prod" });
    const network = new Network("Network", existingVpc);

    // Act
    new KafkaCluster("Kafka", { network, encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" });
    await mocks.settled();

    // Assess
    const cluster = mocks.named("KafkaCluster").inputs;
    expect(cluster).toMatchObject({ clusterName: "prod-ensemble", kafkaVersion: "4.1.x.kraft", numberOfBrokerNodes: 2 });
    expect(cluster.brokerNodeGroupInfo.instanceType).toBe("kafka.t3.small");
    expect(cluster.encryptionInfo.encryptionAtRestKmsKeyArn).toBe("arn:aws:kms:eu-west-1:123456789012:key/k");
    expect(mocks.named("KafkaConfiguration").inputs.serverProperties).toContain("default.replication.factor=2\nmin.insync.replicas=1\n");
    expect(mocks.named("KafkaLogGroup").inputs.retentionInDays).toBe(365);
    expect(cluster.enhancedMonitoring).toBe("PER_TOPIC_PER_BROKER");
  });

  it("alarms on the fullest broker's disk, one alarm per 10 brokers (what a metric-math alarm may read)", async () => {
    // Prepare
    const mocks = recordResources({ stack: "prod" });
    const network = new Network("Network", existingVpc);
    const alarms = { diskPercent: 75, actions: ["arn:aws:sns:eu-west-1:123456789012:alarms"], periodMinutes: 5, evaluationPeriods: 3 };

    // Act
    new KafkaCluster("Kafka", { network, brokers: 12, alarms });
    await mocks.settled();

    // Assess
    const disk = mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm").sort((a, b) => a.name.localeCompare(b.name)).map((a) => ({
      name: a.inputs.name,
      brokers: a.inputs.metricQueries.filter((q: { metric?: unknown }) => q.metric).map((q: { metric: { dimensions: Record<string, string> } }) => q.metric.dimensions["Broker ID"]),
      expression: a.inputs.metricQueries.at(-1).expression,
      threshold: a.inputs.threshold,
      datapointsToAlarm: a.inputs.datapointsToAlarm,
    }));
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
    expect(disk).toEqual([
      { name: "prod-ensemble-broker-disk", brokers: ids(1, 10), expression: `MAX([${ids(1, 10).map((id) => `broker${id}`).join(", ")}])`, threshold: 75, datapointsToAlarm: 3 },
      { name: "prod-ensemble-broker-disk-2", brokers: ids(11, 12), expression: "MAX([broker11, broker12])", threshold: 75, datapointsToAlarm: 3 },
    ]);
  });

  it("passes each child's args through its transform", async () => {
    // Prepare
    const mocks = recordResources();
    const network = new Network("Network", existingVpc);

    // Act
    const kafka = new KafkaCluster("Kafka", {
      network,
      clusterName: "dev-ensemble",
      transform: {
        cluster: { enhancedMonitoring: "PER_BROKER" },
        logGroup: (args) => ({ ...args, retentionInDays: 30 }),
        topic: { configs: "{}" },
      },
    });
    kafka.addTopic("orders.events", { partitions: 1, replicationFactor: 1, retentionHours: 1 });
    await mocks.settled();

    // Assess
    expect(mocks.named("KafkaCluster").inputs.enhancedMonitoring).toBe("PER_BROKER");
    expect(mocks.named("KafkaLogGroup").inputs.retentionInDays).toBe(30);
    expect(mocks.named("KafkaTopicOrdersEvents").inputs.configs).toBe("{}");
  });
});

describe("KafkaCluster.addTopic", () => {
  it("creates a topic child with its physical name, partitions, replicas, retention and cleanup", async () => {
    // Prepare
    const mocks = recordResources();
    const network = new Network("Network", existingVpc);
    const kafka = new KafkaCluster("Kafka", { network, clusterName: "dev-ensemble", brokers: 4 });

    // Act
    const events = kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 3, retentionHours: 168 });
    const dlq = kafka.addTopic("notify-customer.dlq", { partitions: 1, replicationFactor: 2, retentionHours: 336, purpose: "dead-letter" });
    await mocks.settled();

    // Assess
    expect(mocks.byType(T.topic).map((t) => t.name)).toEqual(["KafkaTopicOrdersEvents", "KafkaTopicNotifyCustomerDlq"]);
    expect(mocks.named("KafkaTopicOrdersEvents").inputs).toEqual({
      clusterArn: `arn:aws:kafka:eu-west-1:123456789012:cluster/dev-ensemble/${MOCK_CLUSTER_UUID}`,
      name: "orders.events",
      partitionCount: 3,
      replicationFactor: 3,
      configs: JSON.stringify({
        "retention.ms": "604800000",
        "segment.ms": "86400000",
        "max.message.bytes": "1048588",
        "cleanup.policy": "delete",
        "min.insync.replicas": "2",
      }),
    });
    expect(JSON.parse(mocks.named("KafkaTopicNotifyCustomerDlq").inputs.configs)).toEqual({
      "retention.ms": "1209600000",
      "segment.ms": "86400000",
      "max.message.bytes": "2097152",
      "cleanup.policy": "delete",
      "min.insync.replicas": "1",
    });
    expect(kafka.nodes.topics).toEqual({ "orders.events": events, "notify-customer.dlq": dlq });
  });

  it("refuses a transform that changes a topic's retention behind the consumer groups' deduplication window", () => {
    // Prepare
    recordResources();
    const network = new Network("Network", existingVpc);
    const kafka = new KafkaCluster("Kafka", {
      network,
      clusterName: "dev-ensemble",
      brokers: 2,
      transform: { topic: (args) => void (args.configs = JSON.stringify({ "retention.ms": String(30 * 24 * 3_600_000) })) },
    });

    // Act / Assess
    expect(() => kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 2, retentionHours: 168 })).toThrow(
      'KafkaCluster "Kafka": a transform sets retention.ms=2592000000 on topic "orders.events", but consumer groups derive their deduplication window (and the runtime its size checks) from the stack\'s settings. Set ensemble:kafka.retentionHours (or deadLetterRetentionHours) instead of changing the topic.',
    );
  });

  it("refuses bad names, duplicates, name clashes and more replicas than brokers", () => {
    // Prepare
    recordResources();
    const network = new Network("Network", existingVpc);
    const kafka = new KafkaCluster("Kafka", { network, clusterName: "dev-ensemble", brokers: 2 });
    const ok = { partitions: 1, replicationFactor: 1, retentionHours: 1 };
    kafka.addTopic("orders.events", ok);

    // Act / Assess
    expect(() => kafka.addTopic("orders events", ok)).toThrow(/"orders events" is not a Kafka topic name/);
    expect(() => kafka.addTopic("orders.events", ok)).toThrow(/topic "orders.events" was added twice/);
    expect(() => kafka.addTopic("orders-events", ok)).toThrow(/topics "orders.events" and "orders-events" would both be named KafkaTopicOrdersEvents/);
    expect(() => kafka.addTopic("big", { ...ok, replicationFactor: 3 })).toThrow(/asks for 3 replicas but the cluster has 2 brokers/);
    expect(() => kafka.addTopic("zero", { ...ok, partitions: 0 })).toThrow(/needs a positive whole partitions, got 0/);
  });
});

describe("KafkaCluster, existing", () => {
  it("creates no cluster, configuration or log group and looks up the IAM bootstrap brokers", async () => {
    // Prepare
    const mocks = recordResources();
    const network = new Network("Network", existingVpc);

    // Act
    const kafka = new KafkaCluster("Kafka", { network, existingClusterArn: EXISTING_ARN });
    kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 3, retentionHours: 168 });
    await mocks.settled();

    // Assess
    expect(mskCounts(mocks.countsByType())).toEqual({ [T.topic]: 1 });
    expect(mocks.callsOf("aws:msk/getBootstrapBrokers:getBootstrapBrokers").map((c) => c.inputs)).toEqual([{ clusterArn: EXISTING_ARN }]);
    expect(await awaitOutput(kafka.arn)).toBe(EXISTING_ARN);
    expect(await awaitOutput(kafka.name)).toBe("shared");
    expect(await awaitOutput(kafka.bootstrapBrokersIam)).toMatch(/^b-1\.shared\..*:9098/);
    expect(mocks.named("KafkaTopicOrdersEvents").inputs.clusterArn).toBe(EXISTING_ARN);
    expect(kafka.nodes.cluster).toBeUndefined();
  });

  it("uses the bootstrap brokers it is given, without a lookup", async () => {
    // Prepare
    const mocks = recordResources();
    const network = new Network("Network", existingVpc);

    // Act
    const kafka = new KafkaCluster("Kafka", { network, existingClusterArn: EXISTING_ARN, existingBootstrapBrokers: "b-1.shared:9098" });
    await mocks.settled();

    // Assess
    expect(await awaitOutput(kafka.bootstrapBrokersIam)).toBe("b-1.shared:9098");
    expect(mocks.callsOf("aws:msk/getBootstrapBrokers:getBootstrapBrokers")).toHaveLength(0);
  });
});

describe("KafkaCluster args", () => {
  let network: Network;
  beforeEach(() => {
    recordResources();
    network = new Network("Network", existingVpc);
  });

  it("refuses an existing cluster with args of a created one", () => {
    expect(() => new KafkaCluster("Bad", { network, existingClusterArn: EXISTING_ARN, brokers: 3, version: "3.9.x" })).toThrow(
      'KafkaCluster "Bad": `existingClusterArn` cannot be combined with `version`, `brokers`, which shape a cluster this component creates.',
    );
  });

  it("refuses an existing cluster ARN that is not one, and bootstrap brokers without a cluster", () => {
    expect(() => new KafkaCluster("Bad", { network, existingClusterArn: "arn:aws:kafka:eu-west-1:123456789012:topic/a/b/c" })).toThrow(
      /is not an MSK cluster ARN/,
    );
    expect(() => new KafkaCluster("Bad", { network, existingBootstrapBrokers: "b-1:9098" })).toThrow(/`existingBootstrapBrokers` needs `existingClusterArn`/);
  });

  it("refuses a bad cluster name and more replicas than brokers, listing both", () => {
    expect(() => new KafkaCluster("Bad", { network, clusterName: "dev_ensemble", brokers: 2, replicationFactor: 3 })).toThrow(
      'KafkaCluster "Bad": clusterName "dev_ensemble" must be 1-64 letters, digits and hyphens, starting with a letter or digit; replicationFactor 3 is more than the 2 brokers: give at most 2, or more brokers.',
    );
  });
});

describe("serverProperties and pascal", () => {
  it("keep one replica of slack from 3 replicas up", () => {
    expect(serverProperties({ replicationFactor: 1, partitions: 1 })).toContain("min.insync.replicas=1");
    expect(serverProperties({ replicationFactor: 3, partitions: 1 })).toContain("min.insync.replicas=2");
  });

  it("turn topic names into resource names", () => {
    expect(pascal("orders.events")).toBe("OrdersEvents");
    expect(pascal("notify-customer.dlq")).toBe("NotifyCustomerDlq");
    expect(pascal("a_b.c")).toBe("ABC");
  });
});
