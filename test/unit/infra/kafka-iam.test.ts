import {
  clusterParts,
  consumerStatements,
  groupArn,
  type PolicyStatement,
  publisherStatements,
  topicArn,
} from "../../../platform/infra/kafka-iam";

const CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/dev-ensemble/5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2";
const PREFIX = "arn:aws:kafka:eu-west-1:123456789012";
const IDS = "dev-ensemble/5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2";

function allActions(statements: PolicyStatement[]): string[] {
  return statements.flatMap((statement) => statement.Action);
}

describe("clusterParts", () => {
  it("splits a cluster ARN", () => {
    // Act
    const parts = clusterParts(CLUSTER);

    // Assess
    expect(parts).toEqual({
      partition: "aws",
      region: "eu-west-1",
      account: "123456789012",
      clusterName: "dev-ensemble",
      clusterUuid: "5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2",
    });
  });

  it("reads other partitions", () => {
    expect(clusterParts("arn:aws-cn:kafka:cn-north-1:123456789012:cluster/c/uuid-1").partition).toBe("aws-cn");
  });

  it.each([
    ["a topic ARN", `${PREFIX}:topic/${IDS}/orders.events`],
    ["another service", "arn:aws:sqs:eu-west-1:123456789012:cluster/a/b"],
    ["a cluster without its uuid", `${PREFIX}:cluster/dev-ensemble`],
    ["not an ARN", "dev-ensemble"],
  ])("refuses %s, naming it", (_, arn) => {
    expect(() => clusterParts(arn)).toThrow(`"${arn}" is not an MSK cluster ARN`);
  });
});

describe("topicArn and groupArn", () => {
  it("build the ARNs MSK IAM access control checks", () => {
    expect(topicArn(CLUSTER, "orders.events")).toBe(`${PREFIX}:topic/${IDS}/orders.events`);
    expect(groupArn(CLUSTER, "dev.notify-customer")).toBe(`${PREFIX}:group/${IDS}/dev.notify-customer`);
  });

  it("refuse names IAM would read as wildcards", () => {
    expect(() => groupArn(CLUSTER, "team-*")).toThrow(/group id "team-\*" cannot be used in an IAM resource ARN/);
    expect(() => topicArn(CLUSTER, "")).toThrow(/topic "" cannot be used/);
  });
});

describe("publisherStatements", () => {
  it("connects to the cluster, writes only its topic, idempotently, and reads it back only through its check groups", () => {
    // Act
    const statements = publisherStatements(CLUSTER, "orders.events", "dev.orders.publish-check");

    // Assess
    expect(statements).toEqual([
      {
        Sid: "KafkaCluster",
        Effect: "Allow",
        // No DescribeCluster: a producer never sends Kafka's DescribeCluster request.
        Action: ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
        Resource: [CLUSTER],
      },
      {
        Sid: "KafkaWriteTopic",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:ReadData"],
        Resource: [`${PREFIX}:topic/${IDS}/orders.events`],
      },
      {
        Sid: "KafkaPublishCheckGroups",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
        Resource: [`${PREFIX}:group/${IDS}/dev.orders.publish-check.*`],
      },
    ]);
  });
});

describe("consumerStatements", () => {
  const access = { topics: ["orders.events", "payments.events"], groupId: "dev.notify-customer", deadLetterTopic: "notify-customer.dlq" };

  it("reads its topics, owns its group, writes only its dead-letter topic", () => {
    // Act
    const statements = consumerStatements(CLUSTER, access);

    // Assess
    expect(statements).toEqual([
      {
        Sid: "MskClusterMetadata",
        Effect: "Allow",
        Action: ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"],
        Resource: [CLUSTER],
      },
      {
        Sid: "KafkaCluster",
        Effect: "Allow",
        Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"],
        Resource: [CLUSTER],
      },
      {
        Sid: "KafkaDescribeTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic"],
        Resource: [`${PREFIX}:topic/${IDS}/orders.events`, `${PREFIX}:topic/${IDS}/payments.events`, `${PREFIX}:topic/${IDS}/notify-customer.dlq`],
      },
      {
        Sid: "KafkaReadTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:ReadData"],
        Resource: [`${PREFIX}:topic/${IDS}/orders.events`, `${PREFIX}:topic/${IDS}/payments.events`],
      },
      {
        Sid: "KafkaConsumerGroup",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
        Resource: [`${PREFIX}:group/${IDS}/dev.notify-customer`],
      },
      {
        Sid: "KafkaWriteDeadLetterTopic",
        Effect: "Allow",
        Action: ["kafka-cluster:WriteData"],
        Resource: [`${PREFIX}:topic/${IDS}/notify-customer.dlq`],
      },
      {
        Sid: "KafkaIdempotentWrite",
        Effect: "Allow",
        Action: ["kafka-cluster:WriteDataIdempotently"],
        Resource: [CLUSTER],
      },
      // The rest of AWSLambdaMSKExecutionRole's EC2 actions come with the function's VPC statement.
      { Sid: "MskEventSourceNetwork", Effect: "Allow", Action: ["ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"], Resource: ["*"] },
    ]);
  });

  it("writes data only to the dead-letter topic and reads only the subscribed topics", () => {
    // Act
    const statements = consumerStatements(CLUSTER, access);

    // Assess
    const resourcesOf = (action: string) => statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    expect(resourcesOf("kafka-cluster:WriteData")).toEqual([`${PREFIX}:topic/${IDS}/notify-customer.dlq`]);
    expect(resourcesOf("kafka-cluster:ReadData")).toEqual([`${PREFIX}:topic/${IDS}/orders.events`, `${PREFIX}:topic/${IDS}/payments.events`]);
    expect(statements.filter((s) => s.Resource.includes("*")).flatMap((s) => s.Action).every((a) => a.startsWith("ec2:"))).toBe(true);
  });

  it("owns every group id of a group with one event source mapping per topic", () => {
    // Act
    const statements = consumerStatements(CLUSTER, {
      topics: ["orders.events", "payments.events"],
      groupIds: ["dev.notify-customer.orders", "dev.notify-customer.payments"],
      deadLetterTopic: "notify-customer.dlq",
    });

    // Assess
    expect(statements.find((s) => s.Sid === "KafkaConsumerGroup")?.Resource).toEqual([
      `${PREFIX}:group/${IDS}/dev.notify-customer.orders`,
      `${PREFIX}:group/${IDS}/dev.notify-customer.payments`,
    ]);
    expect(() => consumerStatements(CLUSTER, { topics: ["orders.events"], groupIds: [], deadLetterTopic: "g.dlq" })).toThrow(/has no group id/);
  });

  it("writes a topic it is given besides its dead-letter topic, each write action once, and nothing more", () => {
    // Act
    const statements = consumerStatements(CLUSTER, { ...access, writeTopics: ["invariants.violations"] });

    // Assess
    const plain = consumerStatements(CLUSTER, access);
    expect(statements.find((s) => s.Sid === "KafkaWriteTopics")?.Resource).toEqual([`${PREFIX}:topic/${IDS}/notify-customer.dlq`, `${PREFIX}:topic/${IDS}/invariants.violations`]);
    expect(statements.find((s) => s.Sid === "KafkaDescribeTopics")?.Resource).toEqual([...plain.find((s) => s.Sid === "KafkaDescribeTopics")!.Resource, `${PREFIX}:topic/${IDS}/invariants.violations`]);
    expect(statements.find((s) => s.Sid === "KafkaReadTopics")).toEqual(plain.find((s) => s.Sid === "KafkaReadTopics"));
    expect(allActions(statements)).toEqual(allActions(plain));
  });

  it("lists a topic subscribed twice once", () => {
    // Act
    const statements = consumerStatements(CLUSTER, { ...access, topics: ["orders.events", "orders.events"] });

    // Assess
    expect(statements.find((s) => s.Sid === "KafkaReadTopics")?.Resource).toEqual([`${PREFIX}:topic/${IDS}/orders.events`]);
  });

  it("refuses no topics, and a dead-letter topic that is also read", () => {
    expect(() => consumerStatements(CLUSTER, { ...access, topics: [] })).toThrow(/reads no topic/);
    expect(() => consumerStatements(CLUSTER, { ...access, topics: ["notify-customer.dlq"] })).toThrow(
      /dead-letter topic "notify-customer.dlq" of group "dev.notify-customer" is also one of the topics it reads/,
    );
  });
});

describe("every statement", () => {
  const everyBuilder = [
    ...publisherStatements(CLUSTER, "orders.events", "dev.orders.publish-check"),
    ...consumerStatements(CLUSTER, { topics: ["orders.events"], groupId: "dev.g", deadLetterTopic: "g.dlq" }),
  ];

  it("names its actions: no *, no service:*", () => {
    for (const action of allActions(everyBuilder)) {
      expect(action).not.toBe("*");
      expect(action).not.toMatch(/\*/);
      expect(action).toMatch(/^(kafka|kafka-cluster|ec2):[A-Za-z0-9]+$/);
    }
  });

  it("allows, with an IAM-valid Sid", () => {
    for (const statement of everyBuilder) {
      expect(statement.Effect).toBe("Allow");
      expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
      expect(statement.Resource.length).toBeGreaterThan(0);
    }
  });
});
