// What a created cluster is sized to, and the checks of the args that shape it.
import { InvalidComponentArgsError } from "./errors";
import * as pulumi from "@pulumi/pulumi";
import { TOPIC_DEFAULTS } from "../model";
import { ENHANCED_MONITORING_DEFAULT, LOG_RETENTION_DEFAULT_DAYS } from "../model/security-baseline";
import type { KafkaClusterArgs } from "./kafka-cluster";
import { clusterParts } from "./kafka-iam";

/** Args only a created cluster takes. */
const CREATED_ONLY = [
  "clusterName",
  "version",
  "brokers",
  "instanceType",
  "volumeGb",
  "replicationFactor",
  "partitions",
  "logs",
  "encryptionAtRestKmsKeyArn",
  "enhancedMonitoring",
  "alarms",
] as const;

export interface CreatedSettings {
  clusterName: string;
  version: string;
  brokers: number;
  instanceType: string;
  volumeGb: number;
  replicationFactor: number;
  partitions: number;
  logRetentionDays: number;
  enhancedMonitoring: NonNullable<KafkaClusterArgs["enhancedMonitoring"]>;
}

/** One replica may be down and writes with `acks=all` still succeed, once there are 3. */
export function minInsyncReplicas(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/** The `server.properties` of a created cluster's configuration. */
export function serverProperties(settings: Pick<CreatedSettings, "replicationFactor" | "partitions">): string {
  return [
    "auto.create.topics.enable=false",
    `default.replication.factor=${settings.replicationFactor}`,
    `min.insync.replicas=${minInsyncReplicas(settings.replicationFactor)}`,
    `num.partitions=${settings.partitions}`,
    "unclean.leader.election.enable=false",
  ].join("\n");
}

export function checkExistingArgs(name: string, args: KafkaClusterArgs) {
  const conflicting = CREATED_ONLY.filter((key) => args[key] !== undefined);
  if (conflicting.length > 0) {
    throw new InvalidComponentArgsError(
      `KafkaCluster "${name}": \`existingClusterArn\` cannot be combined with ${conflicting.map((key) => `\`${key}\``).join(", ")}, which shape a cluster this component creates. ` +
        `Leave them out to use the existing cluster, or leave out \`existingClusterArn\` to create one.`,
    );
  }
  // A plain string can be checked now; an Output is checked when `name` reads it.
  if (typeof args.existingClusterArn === "string") clusterParts(args.existingClusterArn);
}

export function checkCreatedArgs(name: string, args: KafkaClusterArgs): CreatedSettings {
  if (args.existingBootstrapBrokers !== undefined) {
    throw new InvalidComponentArgsError(
      `KafkaCluster "${name}": \`existingBootstrapBrokers\` needs \`existingClusterArn\`: give the ARN of the cluster they belong to, or leave \`existingBootstrapBrokers\` out.`,
    );
  }
  const brokers = args.brokers ?? 2;
  const settings: CreatedSettings = {
    clusterName: args.clusterName ?? `${pulumi.getStack()}-ensemble`,
    version: args.version ?? "4.1.x.kraft",
    brokers,
    instanceType: args.instanceType ?? "kafka.t3.small",
    volumeGb: args.volumeGb ?? 20,
    replicationFactor: args.replicationFactor ?? Math.min(3, brokers),
    partitions: args.partitions ?? TOPIC_DEFAULTS.partitions,
    logRetentionDays: args.logs?.retentionDays ?? LOG_RETENTION_DEFAULT_DAYS,
    enhancedMonitoring: args.enhancedMonitoring ?? ENHANCED_MONITORING_DEFAULT,
  };
  const problems: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(settings.clusterName)) {
    problems.push(`clusterName "${settings.clusterName}" must be 1-64 letters, digits and hyphens, starting with a letter or digit`);
  }
  for (const key of ["brokers", "volumeGb", "replicationFactor", "partitions", "logRetentionDays"] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) problems.push(`${key} must be a positive whole number, got ${settings[key]}`);
  }
  if (settings.replicationFactor > settings.brokers) {
    problems.push(`replicationFactor ${settings.replicationFactor} is more than the ${settings.brokers} brokers: give at most ${settings.brokers}, or more brokers`);
  }
  if (problems.length > 0) throw new InvalidComponentArgsError(`KafkaCluster "${name}": ${problems.join("; ")}.`);
  return settings;
}
