/**
 * IAM for MSK with IAM access control, as plain data over string ARNs (no Pulumi), so every
 * policy a component attaches can be read and tested on its own.
 *
 * Resource ARN formats, from "Semantics of IAM authorization policy actions and resources"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html):
 *
 *   cluster  arn:aws:kafka:<region>:<account>:cluster/<cluster-name>/<cluster-uuid>
 *   topic    arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic-name>
 *   group    arn:aws:kafka:<region>:<account>:group/<cluster-name>/<cluster-uuid>/<group-id>
 *
 * The same page lists, per action, the actions it requires as well (`ReadData` needs `Connect`,
 * `DescribeTopic` and `AlterGroup`; `WriteData` needs `Connect` and `DescribeTopic`;
 * `WriteDataIdempotently` needs `Connect` and `WriteData`), which the builders below honour.
 */

import { InvalidComponentArgsError } from "./errors";
import { MSK_EVENT_SOURCE_EXTRA_EC2_ACTIONS } from "./lambda-iam";

/** The parts of an MSK cluster ARN. */
export interface ClusterParts {
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
  region: string;
  account: string;
  clusterName: string;
  /** The cluster's UUID, with its `-<n>` suffix (e.g. `5d7e1a2b-...-2`). */
  clusterUuid: string;
}

/** An IAM policy statement as AWS reads it; only `Allow` statements are built here. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

/**
 * What a consumer group's function role may touch: its topics, its consumer group id(s), its
 * dead-letter topic. An MSK event source mapping reads one topic, so a group subscribed to two
 * contexts has two mappings and two group ids: give `groupIds` then, or `groupId` for one.
 */
export type ConsumerAccess = {
  /** Topics the group's event source mappings read. */
  topics: readonly string[];
  /** The group's dead-letter topic (`<group>.dlq`): the `kafka://` on-failure destination. */
  deadLetterTopic: string;
  /** Topics the function writes besides its dead-letter topic: the invariants group's violations topic. */
  writeTopics?: readonly string[];
} & (
  | { /** The Kafka consumer group id. */ groupId: string; groupIds?: never }
  | { /** The Kafka consumer group ids, one per event source mapping. */ groupIds: readonly string[]; groupId?: never }
);

const CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/;

/** Splits an MSK cluster ARN; throws, naming the value, for anything else. */
export function clusterParts(clusterArn: string): ClusterParts {
  const match = CLUSTER_ARN.exec(clusterArn);
  if (!match) {
    throw new InvalidComponentArgsError(
      `"${clusterArn}" is not an MSK cluster ARN; expected arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>.`,
    );
  }
  const [, partition = "", region = "", account = "", clusterName = "", clusterUuid = ""] = match;
  return { partition, region, account, clusterName, clusterUuid };
}

/** The ARN of a topic of the cluster, for `kafka-cluster:*Topic*`, `ReadData`, `WriteData`. */
export function topicArn(clusterArn: string, topic: string): string {
  return childArn(clusterArn, "topic", checkName("topic", topic));
}

/** The ARN of a consumer group of the cluster, for `kafka-cluster:DescribeGroup` / `AlterGroup`. */
export function groupArn(clusterArn: string, groupId: string): string {
  return childArn(clusterArn, "group", checkName("group id", groupId));
}

/**
 * What a milestone publisher (an idempotent producer) needs: connect to the cluster, write
 * idempotently (a cluster-level action), and describe and write its context topic only. Not
 * `DescribeCluster`: that authorizes Kafka's DescribeCluster API, which a producer never sends
 * (kafkajs learns the brokers from Metadata, authorized per topic by `DescribeTopic`).
 * A retried publish first reads that topic for an earlier attempt's record, with consumer groups
 * named `<checkGroupPrefix>.<uuid>` that never commit: read on the topic, and group access on
 * that prefix only (a trailing `*`, the one wildcard granted on purpose).
 */
export function publisherStatements(clusterArn: string, topic: string, checkGroupPrefix: string): PolicyStatement[] {
  return [
    {
      Sid: "KafkaCluster",
      Effect: "Allow",
      Action: ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
      Resource: [clusterArn],
    },
    {
      Sid: "KafkaWriteTopic",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:ReadData"],
      Resource: [topicArn(clusterArn, topic)],
    },
    {
      Sid: "KafkaPublishCheckGroups",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
      Resource: [`${groupArn(clusterArn, `${checkGroupPrefix}.`)}*`],
    },
  ];
}

/**
 * What a consumer group's function execution role needs, for its MSK event source mapping (IAM
 * auth) and for the consumer wrapper's own dead-letter writes:
 *
 * - `kafka:DescribeClusterV2`, `kafka:GetBootstrapBrokers` on the cluster, and the EC2
 *   network-interface actions: the ESM's required permissions, "Configuring Lambda permissions
 *   for Amazon MSK event source mappings"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html), the content of the
 *   AWSLambdaMSKExecutionRole managed policy. Both `kafka:` actions take a cluster resource
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmanagedstreamingforapachekafka.html),
 *   so they are scoped to it.
 * - `kafka-cluster:Connect`, `DescribeGroup`, `AlterGroup`, `DescribeTopic`, `ReadData`,
 *   `DescribeClusterDynamicConfiguration`: the IAM-auth policy of "Configuring cluster
 *   authentication methods in Lambda"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/msk-cluster-auth.html), read on `topics`
 *   only, group access on the group id(s) only.
 * - `kafka-cluster:WriteData` (+ the `DescribeTopic` it requires) on `deadLetterTopic` only: the
 *   permission a `kafka://` on-failure destination needs, "Capturing discarded batches"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html), also what the wrapper's
 *   dead-letter producer needs; it is idempotent, hence `WriteDataIdempotently` on the cluster.
 *   `writeTopics` get the same two actions, in the same statements (each action once).
 * - the EC2 actions of AWSLambdaMSKExecutionRole that a VPC function's role lacks
 *   (`DescribeVpcs`, `DescribeSecurityGroups`; the function's own VPC statement grants the
 *   rest): describe actions accept no narrower resource than `*`.
 */
export function consumerStatements(clusterArn: string, access: ConsumerAccess): PolicyStatement[] {
  const topics = [...new Set(access.topics)];
  const writes = [...new Set([access.deadLetterTopic, ...(access.writeTopics ?? [])])];
  const groupIds = [...new Set(access.groupIds ?? [access.groupId])];
  const group = groupIds.join(", ");
  if (topics.length === 0) throw new InvalidComponentArgsError(`consumer group "${group}" reads no topic; give at least one in \`topics\`.`);
  if (groupIds.length === 0) throw new InvalidComponentArgsError(`the consumer reading ${topics.join(", ")} has no group id; give \`groupId\`, or at least one in \`groupIds\`.`);
  if (topics.includes(access.deadLetterTopic)) {
    // Lambda refuses an on-failure destination that is one of the source topics (recursion).
    throw new InvalidComponentArgsError(
      `dead-letter topic "${access.deadLetterTopic}" of group "${group}" is also one of the topics it reads; give the group a dead-letter topic of its own (\`<group>.dlq\`).`,
    );
  }
  return [
    {
      Sid: "MskClusterMetadata",
      Effect: "Allow",
      Action: ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"],
      Resource: [clusterArn],
    },
    {
      Sid: "KafkaCluster",
      Effect: "Allow",
      Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"],
      Resource: [clusterArn],
    },
    {
      // Each action once: DescribeTopic serves both reading the topics and writing the dead-letter topic.
      Sid: "KafkaDescribeTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic"],
      Resource: [...new Set([...topics, ...writes])].map((topic) => topicArn(clusterArn, topic)),
    },
    {
      Sid: "KafkaReadTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:ReadData"],
      Resource: topics.map((topic) => topicArn(clusterArn, topic)),
    },
    {
      Sid: "KafkaConsumerGroup",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
      Resource: groupIds.map((groupId) => groupArn(clusterArn, groupId)),
    },
    {
      // Named for what it writes: the dead-letter topic alone, or that and `writeTopics`.
      Sid: writes.length === 1 ? "KafkaWriteDeadLetterTopic" : "KafkaWriteTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:WriteData"],
      Resource: writes.map((topic) => topicArn(clusterArn, topic)),
    },
    {
      Sid: "KafkaIdempotentWrite",
      Effect: "Allow",
      Action: ["kafka-cluster:WriteDataIdempotently"],
      Resource: [clusterArn],
    },
    {
      Sid: "MskEventSourceNetwork",
      Effect: "Allow",
      Action: [...MSK_EVENT_SOURCE_EXTRA_EC2_ACTIONS],
      Resource: ["*"],
    },
  ];
}

function childArn(clusterArn: string, kind: "topic" | "group", name: string): string {
  const { partition, region, account, clusterName, clusterUuid } = clusterParts(clusterArn);
  return `arn:${partition}:kafka:${region}:${account}:${kind}/${clusterName}/${clusterUuid}/${name}`;
}

// IAM reads `*` and `?` in a resource ARN as wildcards: a name holding one would grant more than it says.
function checkName(what: string, name: string): string {
  if (name.length === 0 || /[*?]/.test(name)) {
    throw new InvalidComponentArgsError(`${what} "${name}" cannot be used in an IAM resource ARN: it is empty or holds a wildcard (* or ?); give a non-empty name without them.`);
  }
  return name;
}
