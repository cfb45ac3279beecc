import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, forTypes, REASON, subject } from "../lib/define";

const CLUSTER = "aws:msk/cluster:Cluster";

/** MSK's enhanced monitoring levels, least to most detailed. */
export const MONITORING_LEVELS = ["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] as const;

const monitoringSchema: PolicyConfigSchema = {
  properties: {
    minimumLevel: {
      type: "string",
      enum: [...MONITORING_LEVELS],
      default: "PER_TOPIC_PER_BROKER",
      description: "The least detailed enhanced monitoring level a cluster may use (MSK.2 fails below PER_TOPIC_PER_BROKER).",
    },
    reason: REASON,
  },
};

export const mskPolicies: ResourceValidationPolicy[] = [
  {
    name: "msk-encryption-in-transit",
    description:
      "MSK.1, CT.MSK.PR.1: an MSK cluster encrypts traffic between clients and brokers (clientBroker TLS) and between brokers (inCluster true); left out, both take AWS's default, TLS and true.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      const transit = props.encryptionInfo?.encryptionInTransit;
      const clientBroker = transit?.clientBroker ?? "TLS";
      const inCluster = transit?.inCluster ?? true;
      if (clientBroker !== "TLS") {
        report(`${subject("MSK cluster", args)} accepts ${clientBroker} between clients and brokers; set encryptionInfo.encryptionInTransit.clientBroker to "TLS".`);
      }
      if (inCluster !== true) {
        report(`${subject("MSK cluster", args)} sends plaintext between brokers; set encryptionInfo.encryptionInTransit.inCluster to true (or leave it out).`);
      }
    }),
  },
  {
    name: "msk-enhanced-monitoring",
    description:
      "MSK.2: an MSK cluster's enhanced monitoring is at least the configured level (DEFAULT < PER_BROKER < PER_TOPIC_PER_BROKER < PER_TOPIC_PER_PARTITION; default minimum PER_TOPIC_PER_BROKER).",
    enforcementLevel: "mandatory",
    configSchema: monitoringSchema,
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      const { minimumLevel } = configOf<{ minimumLevel: (typeof MONITORING_LEVELS)[number] }>(args, monitoringSchema);
      const level = typeof props.enhancedMonitoring === "string" ? props.enhancedMonitoring : "DEFAULT";
      const rank = MONITORING_LEVELS.indexOf(level as (typeof MONITORING_LEVELS)[number]);
      if (rank < MONITORING_LEVELS.indexOf(minimumLevel)) {
        report(`${subject("MSK cluster", args)} has enhanced monitoring ${level}, below the required ${minimumLevel}; set enhancedMonitoring to "${minimumLevel}" or a more detailed level.`);
      }
    }),
  },
  {
    name: "msk-no-public-access",
    description: "MSK.4, CT.MSK.PR.2: an MSK cluster's brokers are not reachable from the internet (brokerNodeGroupInfo.connectivityInfo.publicAccess.type absent or DISABLED).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      const type = props.brokerNodeGroupInfo?.connectivityInfo?.publicAccess?.type;
      if (type !== undefined && type !== "DISABLED") {
        report(`${subject("MSK cluster", args)} has public access ${type}; set brokerNodeGroupInfo.connectivityInfo.publicAccess.type to "DISABLED" or leave it out.`);
      }
    }),
  },
  {
    name: "msk-iam-authentication",
    description: "MSK.6: an MSK cluster refuses unauthenticated clients (clientAuthentication.unauthenticated not true) and authenticates them with IAM (clientAuthentication.sasl.iam true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      const auth = props.clientAuthentication;
      if (auth?.unauthenticated === true) {
        report(`${subject("MSK cluster", args)} allows unauthenticated access; set clientAuthentication.unauthenticated to false.`);
      }
      if (auth?.sasl?.iam !== true) {
        report(`${subject("MSK cluster", args)} does not turn on IAM access control; set clientAuthentication.sasl.iam to true.`);
      }
    }),
  },
  {
    name: "msk-encryption-at-rest-cmk",
    description: "Custom: an MSK cluster encrypts its data at rest with a customer managed KMS key (encryptionInfo.encryptionAtRestKmsKeyArn), not the AWS managed key, so key use is auditable and revocable.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      if (!props.encryptionInfo?.encryptionAtRestKmsKeyArn) {
        report(`${subject("MSK cluster", args)} encrypts at rest with the AWS managed key; set encryptionInfo.encryptionAtRestKmsKeyArn to a customer managed KMS key's ARN.`);
      }
    }),
  },
  {
    name: "msk-broker-logs",
    description: "Custom: an MSK cluster delivers its broker logs (loggingInfo.brokerLogs with CloudWatch Logs, Firehose or S3 enabled), the only record of broker-side errors and authorization failures.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(CLUSTER, (props, args, report) => {
      const logs = props.loggingInfo?.brokerLogs;
      const delivered = [logs?.cloudwatchLogs, logs?.firehose, logs?.s3].some((destination) => destination?.enabled === true);
      if (!delivered) {
        report(`${subject("MSK cluster", args)} keeps no broker logs; set loggingInfo.brokerLogs.cloudwatchLogs to { enabled: true, logGroup: <a log group> }.`);
      }
    }),
  },
];
