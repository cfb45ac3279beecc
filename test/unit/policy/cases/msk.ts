import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

/** A cluster every MSK policy accepts. */
const cluster: TestResource = {
  type: "aws:msk/cluster:Cluster",
  name: "EnsembleKafka",
  inputs: {
    clusterName: "prod-ensemble",
    kafkaVersion: "3.8.x",
    numberOfBrokerNodes: 3,
    brokerNodeGroupInfo: {
      instanceType: "kafka.m7g.large",
      clientSubnets: ["subnet-a", "subnet-b", "subnet-c"],
      securityGroups: ["sg-brokers"],
      connectivityInfo: { publicAccess: { type: "DISABLED" } },
    },
    clientAuthentication: { sasl: { iam: true }, unauthenticated: false },
    encryptionInfo: {
      encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    },
    enhancedMonitoring: "PER_TOPIC_PER_BROKER",
    loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: "/ensemble/prod/msk" } } },
  },
};

export const mskCases: PolicyCase[] = [
  { policy: "msk-encryption-in-transit", title: "passes with TLS to clients and between brokers", resources: [cluster] },
  { policy: "msk-encryption-in-transit", title: "passes with AWS's defaults (TLS, in-cluster)", resources: [variant(cluster, { "encryptionInfo.encryptionInTransit": undefined })] },
  {
    policy: "msk-encryption-in-transit",
    title: "fails when clients may connect in plaintext",
    resources: [variant(cluster, { "encryptionInfo.encryptionInTransit.clientBroker": "TLS_PLAINTEXT" })],
    fails: 'MSK cluster "EnsembleKafka" accepts TLS_PLAINTEXT between clients and brokers; set encryptionInfo.encryptionInTransit.clientBroker to "TLS"',
  },
  {
    policy: "msk-encryption-in-transit",
    title: "fails without encryption between brokers",
    resources: [variant(cluster, { "encryptionInfo.encryptionInTransit.inCluster": false })],
    fails: "sends plaintext between brokers; set encryptionInfo.encryptionInTransit.inCluster to true",
  },
  { policy: "msk-enhanced-monitoring", title: "passes at PER_TOPIC_PER_BROKER in prod", resources: [cluster] },
  { policy: "msk-enhanced-monitoring", title: "passes above the minimum", resources: [variant(cluster, { enhancedMonitoring: "PER_TOPIC_PER_PARTITION" })] },
  {
    policy: "msk-enhanced-monitoring",
    title: "fails at PER_BROKER in prod",
    resources: [variant(cluster, { enhancedMonitoring: "PER_BROKER" })],
    fails: 'has enhanced monitoring PER_BROKER, below the required PER_TOPIC_PER_BROKER; set enhancedMonitoring to "PER_TOPIC_PER_BROKER"',
  },
  {
    policy: "msk-enhanced-monitoring",
    title: "fails in prod when left out (DEFAULT)",
    resources: [variant(cluster, { enhancedMonitoring: undefined })],
    fails: "has enhanced monitoring DEFAULT, below the required PER_TOPIC_PER_BROKER",
  },
  { policy: "msk-enhanced-monitoring", title: "passes at DEFAULT in dev (exception)", stack: "dev", resources: [variant(cluster, { enhancedMonitoring: "DEFAULT" })] },
  { policy: "msk-no-public-access", title: "passes with public access DISABLED", resources: [cluster] },
  { policy: "msk-no-public-access", title: "passes with no connectivity info", resources: [variant(cluster, { "brokerNodeGroupInfo.connectivityInfo": undefined })] },
  {
    policy: "msk-no-public-access",
    title: "fails with public brokers",
    resources: [variant(cluster, { "brokerNodeGroupInfo.connectivityInfo.publicAccess.type": "SERVICE_PROVIDED_EIPS" })],
    fails: 'has public access SERVICE_PROVIDED_EIPS; set brokerNodeGroupInfo.connectivityInfo.publicAccess.type to "DISABLED"',
  },
  { policy: "msk-iam-authentication", title: "passes with IAM and no unauthenticated access", resources: [cluster] },
  {
    policy: "msk-iam-authentication",
    title: "fails when unauthenticated clients are allowed",
    resources: [variant(cluster, { "clientAuthentication.unauthenticated": true })],
    fails: "allows unauthenticated access; set clientAuthentication.unauthenticated to false",
  },
  {
    policy: "msk-iam-authentication",
    title: "fails without IAM access control",
    resources: [variant(cluster, { clientAuthentication: undefined })],
    fails: "does not turn on IAM access control; set clientAuthentication.sasl.iam to true",
  },
  { policy: "msk-encryption-at-rest-cmk", title: "passes with a customer managed key", resources: [cluster] },
  {
    policy: "msk-encryption-at-rest-cmk",
    title: "fails with the AWS managed key",
    resources: [variant(cluster, { "encryptionInfo.encryptionAtRestKmsKeyArn": undefined })],
    fails: "encrypts at rest with the AWS managed key; set encryptionInfo.encryptionAtRestKmsKeyArn",
  },
  { policy: "msk-broker-logs", title: "passes with broker logs in CloudWatch Logs", resources: [cluster] },
  {
    policy: "msk-broker-logs",
    title: "fails with every destination turned off",
    resources: [variant(cluster, { "loggingInfo.brokerLogs.cloudwatchLogs.enabled": false })],
    fails: 'MSK cluster "EnsembleKafka" keeps no broker logs; set loggingInfo.brokerLogs.cloudwatchLogs',
  },
  { policy: "msk-broker-logs", title: "fails without loggingInfo", resources: [variant(cluster, { loggingInfo: undefined })], fails: "keeps no broker logs" },
];
