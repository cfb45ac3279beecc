import type { TestResource } from "../../../support/policy";
import type { PolicyCase } from "../run-case";

const CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/prod-ensemble/5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2";
const TOPIC = (topic: string) => CLUSTER.replace(":cluster/", ":topic/") + `/${topic}`;
const GROUP = (group: string) => CLUSTER.replace(":cluster/", ":group/") + `/${group}`;

type StatementInput = { Sid?: string; Effect?: string; Action?: string | string[]; NotAction?: string[]; Resource: string | string[] };

/** What a consumer group's role needs, least privilege; every IAM policy accepts it. */
const consumerStatements: StatementInput[] = [
  { Sid: "MskClusterMetadata", Action: ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"], Resource: [CLUSTER] },
  { Sid: "KafkaCluster", Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration", "kafka-cluster:WriteDataIdempotently"], Resource: [CLUSTER] },
  { Sid: "KafkaTopics", Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"], Resource: [TOPIC("orders.events"), TOPIC("notify-customer.dlq")] },
  { Sid: "KafkaGroups", Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], Resource: [GROUP("notify-customer"), GROUP("publish-check.*")] },
  {
    Sid: "Ec2NetworkInterfaces",
    Action: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
    Resource: ["*"],
  },
  { Sid: "Traces", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
];

const document = (statements: StatementInput[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });

const rolePolicy = (statements: StatementInput[]): TestResource => ({
  type: "aws:iam/rolePolicy:RolePolicy",
  name: "NotifyCustomerPolicy",
  inputs: { role: "notify-customer", policy: document(statements) },
});

/** The consumer's statements with one more, or one replaced by Sid. */
const withStatement = (statement: StatementInput) => rolePolicy([...consumerStatements.filter((s) => s.Sid === undefined || s.Sid !== statement.Sid), statement]);

export const iamCases: PolicyCase[] = [
  { policy: "iam-no-wildcard-actions", title: "passes with named actions", resources: [rolePolicy(consumerStatements)] },
  { policy: "iam-no-wildcard-actions", title: "skips a document not known yet (preview)", resources: [{ type: "aws:iam/rolePolicy:RolePolicy", name: "Pending", inputs: { role: "r" } }] },
  {
    policy: "iam-no-wildcard-actions",
    title: "fails on a whole service",
    resources: [withStatement({ Sid: "Dynamo", Action: "dynamodb:*", Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/idempotency" })],
    fails: 'IAM role policy "NotifyCustomerPolicy" statement "Dynamo" allows dynamodb:*; list the actions the role needs instead',
  },
  {
    policy: "iam-no-wildcard-actions",
    title: 'fails on "*" in a managed policy',
    resources: [{ type: "aws:iam/policy:Policy", name: "Admin", inputs: { policy: document([{ Action: "*", Resource: "*" }]) } }],
    fails: 'IAM policy "Admin" statement #1 allows *',
  },
  {
    policy: "iam-no-wildcard-actions",
    title: "fails on NotAction in a role's inline policy",
    resources: [{ type: "aws:iam/role:Role", name: "Ops", inputs: { assumeRolePolicy: "{}", inlinePolicies: [{ name: "most", policy: document([{ Sid: "AllBut", NotAction: ["iam:*"], Resource: "*" }]) }] } }],
    fails: 'inline policy "most" of IAM role "Ops" statement "AllBut" allows everything except iam:* (NotAction)',
  },
  {
    policy: "iam-no-wildcard-actions",
    title: "fails on a document that is not JSON",
    resources: [{ type: "aws:iam/rolePolicy:RolePolicy", name: "Broken", inputs: { role: "r", policy: "{ not json" } }],
    fails: 'IAM role policy "Broken" is not valid JSON',
  },
  { policy: "iam-star-resource-allowlist", title: "passes with only EC2 network-interface and X-Ray actions on *", resources: [rolePolicy(consumerStatements)] },
  {
    policy: "iam-star-resource-allowlist",
    title: "passes with Step Functions' log-delivery actions on *",
    resources: [withStatement({ Sid: "ExecutionLogs", Action: ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"], Resource: "*" })],
  },
  {
    policy: "iam-star-resource-allowlist",
    title: "fails on kms:Decrypt on * (KMS.2)",
    resources: [withStatement({ Sid: "Decrypt", Action: ["kms:Decrypt", "xray:PutTraceSegments"], Resource: "*" })],
    fails: 'statement "Decrypt" grants kms:Decrypt on every resource ("*"); scope Resource',
  },
  { policy: "iam-kafka-cluster-resources", title: "passes with each action on its kind of ARN and a group-id prefix", resources: [rolePolicy(consumerStatements)] },
  {
    policy: "iam-kafka-cluster-resources",
    title: "fails on a topic action granted on the cluster",
    resources: [withStatement({ Sid: "KafkaCluster", Action: ["kafka-cluster:Connect", "kafka-cluster:ReadData"], Resource: [CLUSTER] })],
    fails: `statement "KafkaCluster": kafka-cluster:ReadData on "${CLUSTER}" is a cluster ARN, not a topic ARN`,
  },
  {
    policy: "iam-kafka-cluster-resources",
    title: "fails on a wildcard topic",
    resources: [withStatement({ Sid: "KafkaTopics", Action: ["kafka-cluster:DescribeTopic"], Resource: [TOPIC("orders.*")] })],
    fails: `kafka-cluster:DescribeTopic on "${TOPIC("orders.*")}" has a wildcard other than a trailing * after a group-id prefix ending in "."`,
  },
  {
    policy: "iam-kafka-cluster-resources",
    title: "fails on every group of the cluster",
    resources: [withStatement({ Sid: "KafkaGroups", Action: ["kafka-cluster:AlterGroup"], Resource: [GROUP("*")] })],
    fails: `kafka-cluster:AlterGroup on "${GROUP("*")}" has a wildcard`,
  },
  {
    policy: "iam-kafka-cluster-resources",
    title: "fails on a wildcard action",
    resources: [withStatement({ Sid: "KafkaDescribe", Action: ["kafka-cluster:Describe*"], Resource: [CLUSTER] })],
    fails: "kafka-cluster:Describe* is not one MSK action, so its resource kind is unknown",
  },
  {
    policy: "iam-kafka-cluster-resources",
    title: 'fails on Resource "*"',
    resources: [withStatement({ Sid: "KafkaCluster", Action: ["kafka-cluster:Connect"], Resource: "*" })],
    fails: 'kafka-cluster:Connect on "*" is not an MSK cluster ARN',
  },
  { policy: "iam-ec2-actions-lambda-managed", title: "passes with the actions of Lambda's managed policies", resources: [rolePolicy(consumerStatements)] },
  {
    policy: "iam-ec2-actions-lambda-managed",
    title: "fails on an EC2 action Lambda does not need",
    resources: [withStatement({ Sid: "Ec2NetworkInterfaces", Action: ["ec2:CreateNetworkInterface", "ec2:RunInstances", "ec2:Describe*"], Resource: "*" })],
    fails: 'statement "Ec2NetworkInterfaces" grants ec2:RunInstances, ec2:Describe*, beyond what Lambda needs from EC2',
  },
  { policy: "iam-no-duplicate-actions", title: "passes with each action once", resources: [rolePolicy(consumerStatements)] },
  {
    policy: "iam-no-duplicate-actions",
    title: "fails on an action in two statements",
    resources: [withStatement({ Sid: "KafkaDeadLetter", Action: ["kafka-cluster:DescribeTopic"], Resource: [TOPIC("notify-customer.dlq")] })],
    fails: 'IAM role policy "NotifyCustomerPolicy" lists kafka-cluster:DescribeTopic 2 times (statement "KafkaTopics", "KafkaDeadLetter"); grant it once',
  },
];
