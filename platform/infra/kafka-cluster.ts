import type { TopicPurpose } from "../model";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pascal, topicConfigs } from "../model";
import { InvalidComponentArgsError } from "./errors";
import { checkCreatedArgs, checkExistingArgs, minInsyncReplicas, serverProperties } from "./kafka-cluster-settings";
import { clusterParts } from "./kafka-iam";
import type { Network } from "./network";
import { ALARM_METRICS_MAX, type AlarmSettings, inRunsOf, metricAlarm, metricQuery } from "./alarm";
import type { EnhancedMonitoringLevel } from "../model/security-baseline";
import type { LogSettings } from "./function";
import { type Transform, transform } from "./transform";

export interface KafkaClusterArgs {
  /**
   * The network the brokers live in: its private subnets become the brokers' client subnets and
   * its broker security group guards them.
   * @example
   * network: new Network("Network", {})
   */
  network: Network;
  /**
   * Use this cluster instead of creating one: no cluster, configuration or log group is created.
   * IAM access control must be on, and its security groups must admit TCP 9098 from the
   * network's function security group and from themselves (the event source mapping's pollers
   * use the cluster's security groups).
   *
   * Cannot be combined with the args that shape a created cluster (`clusterName`, `version`,
   * `brokers`, `instanceType`, `volumeGb`, `replicationFactor`, `partitions`, `logs`,
   * `encryptionAtRestKmsKeyArn`, `enhancedMonitoring`, `alarms`): its owner monitors its disks.
   * @default a cluster is created
   * @example
   * existingClusterArn: "arn:aws:kafka:eu-west-1:123456789012:cluster/shared/5d7e1a2b-0c3d-4e5f-8a9b-0123456789ab-2"
   */
  existingClusterArn?: pulumi.Input<string>;
  /**
   * Bootstrap brokers (SASL/IAM, port 9098) of the existing cluster. Only with `existingClusterArn`.
   * @default looked up with `aws.msk.getBootstrapBrokers`
   * @example
   * existingBootstrapBrokers: "b-1.shared.abc123.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.shared.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"
   */
  existingBootstrapBrokers?: pulumi.Input<string>;
  /**
   * Physical name of the created cluster; also names its broker log group.
   * @default `${stack}-ensemble`
   * @example
   * clusterName: "prod-ensemble"
   */
  clusterName?: string;
  /**
   * MSK Kafka version of the created cluster.
   * @default "4.1.x.kraft"
   * @example
   * version: "3.9.x.kraft"
   */
  version?: string;
  /**
   * Broker nodes, a multiple of the network's private subnets (MSK spreads them evenly).
   * @default 2
   * @example
   * brokers: 3
   */
  brokers?: number;
  /**
   * Broker instance type.
   * @default "kafka.t3.small"
   * @example
   * instanceType: "kafka.m7g.large"
   */
  instanceType?: string;
  /**
   * EBS volume per broker, GiB.
   * @default 20
   * @example
   * volumeGb: 100
   */
  volumeGb?: number;
  /**
   * `default.replication.factor` of the cluster; `min.insync.replicas` is 2 from 3 replicas up,
   * else 1. At most `brokers`.
   * @default min(3, brokers)
   * @example
   * replicationFactor: 3
   */
  replicationFactor?: number;
  /**
   * `num.partitions` of the cluster (topics created here set their own).
   * @default 3
   * @example
   * partitions: 6
   */
  partitions?: number;
  /**
   * Retention and encryption of the broker log group.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * logs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  logs?: LogSettings;
  /**
   * KMS key for encryption at rest. MSK always encrypts at rest; without a key it uses the
   * AWS-managed `aws/kafka` key. MSK cannot change the key of a cluster: setting or changing it
   * replaces the cluster (and loses its topics' records).
   * @default the AWS-managed key
   * @example
   * encryptionAtRestKmsKeyArn: key.arn
   */
  encryptionAtRestKmsKeyArn?: pulumi.Input<string>;
  /**
   * MSK's enhanced monitoring level (Security Hub MSK.2 asks for `PER_TOPIC_PER_BROKER` or more).
   * @default "PER_TOPIC_PER_BROKER"
   * @example
   * enhancedMonitoring: "PER_TOPIC_PER_PARTITION"
   */
  enhancedMonitoring?: EnhancedMonitoringLevel;
  /**
   * An alarm when any broker's data volume is fuller than `diskPercent` (`KafkaDataLogsDiskUsed`,
   * published at every monitoring level), notifying `actions`.
   * @default no alarm
   * @example
   * alarms: { diskPercent: 80, actions: [alarmTopic.arn], periodMinutes: 5, evaluationPeriods: 3 }
   */
  alarms?: Pick<AlarmSettings, "actions" | "periodMinutes" | "evaluationPeriods"> & { diskPercent: number };
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { cluster: { enhancedMonitoring: "PER_TOPIC_PER_BROKER" } }
   * @example
   * transform: { topic: (args, name) => { args.timeouts = { create: "20m" }; } }
   */
  transform?: {
    cluster?: Transform<aws.msk.ClusterArgs>;
    configuration?: Transform<aws.msk.ConfigurationArgs>;
    logGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
    topic?: Transform<aws.msk.TopicArgs>;
    diskAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * Settings of one topic created with {@link KafkaCluster.addTopic}; all required.
 * @example
 * kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 2, retentionHours: 168 });
 */
export interface KafkaTopicArgs {
  /**
   * Partitions: the most consumers of one group that can read the topic in parallel.
   * @example
   * partitions: 12
   */
  partitions: number;
  /**
   * Replicas, at most the brokers; also sets the topic's `min.insync.replicas`: 2 from 3
   * replicas up, else 1.
   * @example
   * replicationFactor: 3
   */
  replicationFactor: number;
  /**
   * `retention.ms`, in hours.
   * @example
   * retentionHours: 336
   */
  retentionHours: number;
  /**
   * What the topic holds: a context's events, a group's dead letters (a larger
   * `max.message.bytes`, for Lambda's on-failure records) or the invariants group's violations
   * (which carry the events seen, so take the same larger size).
   * @default "events"
   * @example
   * purpose: "dead-letter"
   */
  purpose?: TopicPurpose;
}

/** The raw resources of a {@link KafkaCluster}; none but topics for an existing cluster. */
export interface KafkaClusterNodes {
  cluster?: aws.msk.Cluster;
  configuration?: aws.msk.Configuration;
  logGroup?: aws.cloudwatch.LogGroup;
  /** On the fullest broker's disk; one per 10 brokers (what one alarm may read). */
  diskAlarms: aws.cloudwatch.MetricAlarm[];
  /** By Kafka topic name. */
  topics: Record<string, aws.msk.Topic>;
}

/**
 * An Amazon MSK provisioned cluster that only speaks IAM over TLS, or an existing one.
 *
 * Created: a broker log group, a configuration (`auto.create.topics.enable=false`, replication
 * defaults, no unclean leader election) and the cluster itself — SASL/IAM only (no TLS client
 * certificates, no SCRAM, no unauthenticated access), TLS between clients and brokers and
 * inside the cluster, encryption at rest (always on in MSK; with the given key), enhanced
 * monitoring, brokers in the network's private subnets behind its broker security group, and an
 * alarm on broker disk use when asked. Topics are added with {@link KafkaCluster.addTopic}.
 *
 * @example
 * const kafka = new KafkaCluster("Kafka", { network, clusterName: `${stack}-ensemble`, brokers: 2 });
 * kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 2, retentionHours: 168 });
 * @example
 * const kafka = new KafkaCluster("Kafka", { network, existingClusterArn: "arn:aws:kafka:...:cluster/shared/..." });
 */
export class KafkaCluster extends pulumi.ComponentResource {
  /** Cluster ARN. */
  readonly arn: pulumi.Output<string>;
  /** Cluster name (read from the ARN for an existing cluster). */
  readonly name: pulumi.Output<string>;
  /** Bootstrap brokers for SASL/IAM clients, `host:9098,host:9098,...`. */
  readonly bootstrapBrokersIam: pulumi.Output<string>;
  readonly nodes: KafkaClusterNodes;
  private readonly componentName: string;
  private readonly topicTransform: Transform<aws.msk.TopicArgs> | undefined;
  /** Brokers of a created cluster, to check topics against; unknown for an existing one. */
  private readonly brokerCount: number | undefined;

  constructor(name: string, args: KafkaClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:KafkaCluster", name, {}, opts);
    const parent = this;
    this.componentName = name;
    this.topicTransform = args.transform?.topic;

    if (args.existingClusterArn !== undefined) {
      checkExistingArgs(name, args);
      const arn = pulumi.output(args.existingClusterArn);
      this.arn = arn;
      this.name = arn.apply((value) => clusterParts(value).clusterName);
      this.bootstrapBrokersIam =
        args.existingBootstrapBrokers !== undefined
          ? pulumi.output(args.existingBootstrapBrokers)
          : aws.msk.getBootstrapBrokersOutput({ clusterArn: arn }, { parent }).bootstrapBrokersSaslIam;
      this.nodes = { diskAlarms: [], topics: {} };
    } else {
      const settings = checkCreatedArgs(name, args);
      this.brokerCount = settings.brokers;
      const logGroup = createLogGroup();
      const configuration = createConfiguration();
      const cluster = createCluster();
      const diskAlarms = args.alarms ? createDiskAlarms(args.alarms) : [];
      this.arn = cluster.arn;
      this.name = cluster.clusterName;
      this.bootstrapBrokersIam = cluster.bootstrapBrokersSaslIam;
      this.nodes = { cluster, configuration, logGroup, diskAlarms, topics: {} };

      function createLogGroup() {
        const logGroupName = `${name}LogGroup`;
        return new aws.cloudwatch.LogGroup(
          logGroupName,
          transform(args.transform?.logGroup, logGroupName, {
            name: `/aws/msk/${settings.clusterName}`,
            retentionInDays: settings.logRetentionDays,
            kmsKeyId: args.logs?.kmsKeyArn,
          }),
          { parent },
        );
      }

      function createConfiguration() {
        const configurationName = `${name}Configuration`;
        // No physical name: a new Kafka version replaces the configuration, and MSK refuses two
        // configurations with one name, so the auto-named one can be created before the old goes.
        return new aws.msk.Configuration(
          configurationName,
          transform(args.transform?.configuration, configurationName, {
            description: `Ensemble defaults for ${settings.clusterName}`,
            kafkaVersions: [settings.version],
            serverProperties: serverProperties(settings),
          }),
          { parent },
        );
      }

      function createCluster() {
        const clusterName = `${name}Cluster`;
        return new aws.msk.Cluster(
          clusterName,
          transform(args.transform?.cluster, clusterName, {
            clusterName: settings.clusterName,
            kafkaVersion: settings.version,
            numberOfBrokerNodes: settings.brokers,
            brokerNodeGroupInfo: {
              instanceType: settings.instanceType,
              clientSubnets: args.network.privateSubnetIds.apply((subnets) => {
                if (settings.brokers % subnets.length !== 0) {
                  throw new InvalidComponentArgsError(
                    `KafkaCluster "${name}": ${settings.brokers} brokers cannot spread evenly over ${subnets.length} subnets; set \`brokers\` to a multiple of ${subnets.length}.`,
                  );
                }
                return subnets;
              }),
              securityGroups: [args.network.brokerSecurityGroupId],
              storageInfo: { ebsStorageInfo: { volumeSize: settings.volumeGb } },
            },
            clientAuthentication: { sasl: { iam: true }, unauthenticated: false },
            encryptionInfo: {
              encryptionInTransit: { clientBroker: "TLS", inCluster: true },
              encryptionAtRestKmsKeyArn: args.encryptionAtRestKmsKeyArn,
            },
            configurationInfo: { arn: configuration.arn, revision: configuration.latestRevision },
            loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup.name } } },
            enhancedMonitoring: settings.enhancedMonitoring,
          }),
          { parent },
        );
      }

      // The fullest broker: MSK publishes the metric per broker (ids 1..n), and an alarm takes no SEARCH.
      function createDiskAlarms(alarms: NonNullable<KafkaClusterArgs["alarms"]>) {
        const brokerIds = Array.from({ length: settings.brokers }, (_, index) => String(index + 1));
        return inRunsOf(brokerIds, ALARM_METRICS_MAX).map((ids, index) =>
          metricAlarm(
            `${name}DiskAlarm${index === 0 ? "" : index + 1}`,
            {
              name: `${settings.clusterName}-broker-disk${index === 0 ? "" : `-${index + 1}`}`,
              alarmDescription: `A broker of ${settings.clusterName} (${ids.join(", ")}) has used more than ${alarms.diskPercent}% of its data volume: add storage (ensemble:kafka.volumeGb) or lower retention.`,
              comparisonOperator: "GreaterThanThreshold",
              threshold: alarms.diskPercent,
              metricQueries: [
                ...ids.map((id) => metricQuery(`broker${id}`, "AWS/Kafka", "KafkaDataLogsDiskUsed", { "Cluster Name": settings.clusterName, "Broker ID": id }, "Maximum", alarms.periodMinutes)),
                { id: "fullest", expression: `MAX([${ids.map((id) => `broker${id}`).join(", ")}])`, label: "Fullest broker, % of data volume", returnData: true },
              ],
            },
            alarms,
            { parent, dependsOn: [cluster], transform: args.transform?.diskAlarm },
          ),
        );
      }
    }

    this.registerOutputs({ arn: this.arn, name: this.name, bootstrapBrokersIam: this.bootstrapBrokersIam });
  }

  /**
   * Creates the Kafka topic `name` on the cluster (topics are never auto-created), a child named
   * `<component>Topic<PascalName>`, with delete cleanup and retention in hours.
   *
   * @example
   * kafka.addTopic("orders.events", { partitions: 3, replicationFactor: 2, retentionHours: 168 });
   */
  addTopic(name: string, args: KafkaTopicArgs): aws.msk.Topic {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(name) || name === "." || name === "..") {
      throw new InvalidComponentArgsError(`KafkaCluster "${this.componentName}": "${name}" is not a Kafka topic name (1-249 of letters, digits, ".", "_", "-").`);
    }
    for (const [key, value] of Object.entries(args)) {
      if (key !== "purpose" && (!Number.isInteger(value) || (value as number) < 1)) {
        throw new InvalidComponentArgsError(`KafkaCluster "${this.componentName}": topic "${name}" needs a positive whole ${key}, got ${String(value)}.`);
      }
    }
    if (this.brokerCount !== undefined && args.replicationFactor > this.brokerCount) {
      throw new InvalidComponentArgsError(
        `KafkaCluster "${this.componentName}": topic "${name}" asks for ${args.replicationFactor} replicas but the cluster has ${this.brokerCount} brokers; give a replicationFactor of at most ${this.brokerCount}.`,
      );
    }
    const resourceName = `${this.componentName}Topic${pascal(name)}`;
    if (Object.hasOwn(this.nodes.topics, name)) throw new InvalidComponentArgsError(`KafkaCluster "${this.componentName}": topic "${name}" was added twice; add each topic once.`);
    const clash = Object.keys(this.nodes.topics).find((other) => pascal(other) === pascal(name));
    if (clash !== undefined) {
      throw new InvalidComponentArgsError(`KafkaCluster "${this.componentName}": topics "${clash}" and "${name}" would both be named ${resourceName}; rename one of them.`);
    }
    const planned = topicConfigs(args.purpose ?? "events", args.retentionHours);
    const topicArgs = transform(this.topicTransform, resourceName, {
      clusterArn: this.arn,
      name,
      partitionCount: args.partitions,
      replicationFactor: args.replicationFactor,
      configs: JSON.stringify({
        ...planned,
        "cleanup.policy": "delete",
        "min.insync.replicas": String(minInsyncReplicas(args.replicationFactor)),
      }),
    });
    // Checked now when the transform left plain text, else once the value is known (failing the topic).
    const configs = topicArgs.configs;
    if (typeof configs === "string") this.checkRetention(name, planned, configs);
    else if (configs !== undefined) topicArgs.configs = pulumi.output(configs).apply((text) => (text === undefined || this.checkRetention(name, planned, text), text));
    const topic = new aws.msk.Topic(resourceName, topicArgs, { parent: this });
    this.nodes.topics[name] = topic;
    return topic;
  }

  /**
   * Consumer groups remember event ids for as long as the stack's retention says records live
   * (`dedupeWindowSeconds`); a transform that changes a topic's retention behind that would let a
   * replay repeat effects, so it is refused.
   */
  private checkRetention(name: string, planned: Record<string, string>, configs: string): void {
    const actual = JSON.parse(configs) as Record<string, unknown>;
    const changed = (["retention.ms", "segment.ms", "max.message.bytes"] as const).filter((key) => key in actual && String(actual[key]) !== planned[key]);
    if (changed.length > 0) {
      throw new InvalidComponentArgsError(
        `KafkaCluster "${this.componentName}": a transform sets ${changed.map((key) => `${key}=${String(actual[key])}`).join(", ")} on topic "${name}", ` +
          `but consumer groups derive their deduplication window (and the runtime its size checks) from the stack's settings. ` +
          `Set ensemble:kafka.retentionHours (or deadLetterRetentionHours) instead of changing the topic.`,
      );
    }
  }
}

export { minInsyncReplicas, serverProperties };
