/**
 * What the IAM rules know about particular actions: the ones that accept no resource narrower
 * than "*", the EC2 actions Lambda's managed execution policies grant, and which MSK resource
 * each `kafka-cluster:` action applies to.
 */

/**
 * Actions that may be granted on `Resource: "*"`, because they accept no narrower resource:
 * X-Ray's trace and sampling actions; the EC2 network-interface and describe actions a VPC
 * function and an MSK event source mapping need (AWSLambdaVPCAccessExecutionRole,
 * AWSLambdaMSKExecutionRole); the CloudWatch Logs actions that set up Step Functions log delivery.
 */
export const STAR_RESOURCE_ACTIONS: readonly string[] = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
];

/**
 * The EC2 actions of the AWS managed policies AWSLambdaVPCAccessExecutionRole and
 * AWSLambdaMSKExecutionRole, together: everything a function in a VPC or an MSK event source
 * mapping needs from EC2.
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaMSKExecutionRole.html
 * The pack keeps its own copy so that it can be published alone;
 * test/unit/policy/program-agreement.test.ts holds it equal to the lists the program grants from.
 */
export const LAMBDA_EC2_ACTIONS: readonly string[] = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "ec2:DescribeVpcs",
  "ec2:DescribeSecurityGroups",
];

export type KafkaResourceKind = "cluster" | "topic" | "group" | "transactional-id";

/**
 * The resource each `kafka-cluster:` action applies to ("Semantics of IAM authorization policy
 * actions and resources", https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
 */
export const KAFKA_CLUSTER_ACTIONS: Readonly<Record<string, KafkaResourceKind>> = {
  Connect: "cluster",
  DescribeCluster: "cluster",
  AlterCluster: "cluster",
  DescribeClusterDynamicConfiguration: "cluster",
  AlterClusterDynamicConfiguration: "cluster",
  WriteDataIdempotently: "cluster",
  CreateTopic: "topic",
  DescribeTopic: "topic",
  AlterTopic: "topic",
  DeleteTopic: "topic",
  DescribeTopicDynamicConfiguration: "topic",
  AlterTopicDynamicConfiguration: "topic",
  ReadData: "topic",
  WriteData: "topic",
  DescribeGroup: "group",
  AlterGroup: "group",
  DeleteGroup: "group",
  DescribeTransactionalId: "transactional-id",
  AlterTransactionalId: "transactional-id",
};

/** Whether `action` is in `allowed`, compared as IAM compares action names (case-insensitively). */
export function isListed(allowed: readonly string[], action: string): boolean {
  return allowed.some((a) => a.toLowerCase() === action.toLowerCase());
}

/** The resource kind a `kafka-cluster:` action applies to; undefined for a wildcard or an unknown action. */
export function kafkaKindOf(action: string): KafkaResourceKind | undefined {
  const name = /^kafka-cluster:(.+)$/i.exec(action)?.[1];
  const key = Object.keys(KAFKA_CLUSTER_ACTIONS).find((k) => k.toLowerCase() === name?.toLowerCase());
  return key ? KAFKA_CLUSTER_ACTIONS[key] : undefined;
}

const MSK_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:(cluster|topic|group|transactional-id)\/(.+)$/;

/**
 * What is wrong with `resource` as the resource of a `kind` action, or undefined when nothing:
 * it must be an MSK ARN of that kind, `<kind>/<cluster name>/<cluster uuid>[/<name>]`, with no
 * wildcard, except a trailing `*` after a group-id prefix that ends in "." on a group ARN.
 */
export function kafkaResourceProblem(kind: KafkaResourceKind, resource: string): string | undefined {
  const match = MSK_ARN.exec(resource);
  if (!match) return `"${resource}" is not an MSK ${kind} ARN`;
  const [, actual, path = ""] = match;
  if (actual !== kind) return `"${resource}" is a ${actual} ARN, not a ${kind} ARN`;
  const parts = path.split("/");
  const [clusterName = "", clusterUuid = "", ...rest] = parts;
  const name = rest.join("/");
  if (kind === "cluster" ? parts.length !== 2 : rest.length === 0 || name === "") {
    return `"${resource}" is not shaped like ${kind}/<cluster name>/<cluster uuid>${kind === "cluster" ? "" : `/<${kind} name>`}`;
  }
  if (/[*?]/.test(clusterName + clusterUuid)) return `"${resource}" has a wildcard in its cluster name or uuid`;
  if (!/[*?]/.test(name)) return undefined;
  const prefix = name.slice(0, -1);
  const allowedPrefix = kind === "group" && name.endsWith("*") && prefix.length > 1 && prefix.endsWith(".") && !/[*?]/.test(prefix);
  return allowedPrefix ? undefined : `"${resource}" has a wildcard other than a trailing * after a group-id prefix ending in "."`;
}
