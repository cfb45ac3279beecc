import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { correlatorName, correlatorOf, names, partitionsOf, pascal, type ValidTopology } from "../model";
import { planConsumerGroups } from "../model/consumer-group-plan";
import { replicationFactor, type StackConfig } from "../model/stack-config";
import { arnByName } from "./arn";
import { BoundedContext, type BoundedContextArgs } from "./bounded-context";
import { ConsumerGroup, type ConsumerGroupArgs } from "./consumer-group";
import { KafkaCluster, type KafkaClusterArgs } from "./kafka-cluster";
import { Network, type NetworkArgs } from "./network";
import type { AlarmSettings } from "./alarm";
import { AlarmTopic, type AlarmTopicArgs } from "./alarm-topic";
import type { LogSettings } from "./function";
import { Observability, type ObservabilityArgs } from "./observability";
import { shallowStackTraces } from "./shallow-stack-traces";
import { InvalidComponentArgsError } from "./errors";
import { StackKey, type StackKeyArgs } from "./stack-key";
import { PLATFORM_OWNER } from "../model/tags";
import { openTelemetry } from "./open-telemetry";
import { ownerTag } from "./tags";

export interface EnsemblePlatformArgs {
  /**
   * The validated topology from `contexts/` and `consumers/`.
   * @example
   * topology: validate(topology, { stack })
   */
  topology: ValidTopology;
  /**
   * The stack, part of every physical name.
   * @example
   * stack: pulumi.getStack()
   */
  stack: string;
  /**
   * The stack's parsed `ensemble:*` config.
   * @example
   * config: stackConfigFromPulumi(stack, pulumi.runtime.allConfig())
   */
  config: StackConfig;
  /**
   * Edits the args of the resources each component creates, forwarded to every component of
   * that kind; a function hook gets the resource name (`EnsembleOrdersStateMachine`,
   * `EnsembleNotifyCustomerEventSourceMappingOrders`) to single one out.
   * @default no change
   * @example
   * transform: { group: { eventSourceMapping: { startingPosition: "LATEST" } } }
   * @example
   * transform: { context: { stateMachine: (args, name) => { if (name === "EnsembleOrdersStateMachine") args.tags = { team: "orders" }; } } }
   */
  transform?: {
    network?: NetworkArgs["transform"];
    kafka?: KafkaClusterArgs["transform"];
    /** Every {@link BoundedContext}. */
    context?: BoundedContextArgs["transform"];
    /** Every {@link ConsumerGroup}. */
    group?: ConsumerGroupArgs["transform"];
    observability?: ObservabilityArgs["transform"];
    key?: StackKeyArgs["transform"];
    alarmTopic?: AlarmTopicArgs["transform"];
  };
}

/**
 * Everything one stack deploys: the stack's KMS key and alarm topic, the network, the MSK cluster
 * and its topics (one per context, one dead-letter topic per group), a bounded context per
 * context, a consumer group per group, and the dashboard. Each piece is its own component; this
 * one only wires them, and tags what each serves with its owner (the context, the group, or
 * `platform`).
 *
 * @example
 * const stack = pulumi.getStack();
 * const config = stackConfigFromPulumi(stack, pulumi.runtime.allConfig());
 * const platform = new EnsemblePlatform("Ensemble", { topology: validate(topology, { stack }), stack, config });
 * @example
 * new EnsemblePlatform("Ensemble", { topology, stack, config, transform: { group: { function: { function: { memorySize: 1024 } } } } });
 */
export class EnsemblePlatform extends pulumi.ComponentResource {
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly contexts: Record<string, BoundedContext>;
  readonly groups: Record<string, ConsumerGroup>;
  readonly observability: Observability;
  readonly topics: readonly aws.msk.Topic[];
  readonly key: StackKey;
  readonly alarmTopic: AlarmTopic;

  constructor(name: string, args: EnsemblePlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const tracing = args.config.tracing.openTelemetry;
    super("ensemble:infra:Platform", name, {}, {
      ...opts,
      transformations: [...(opts.transformations ?? []), ownerTag(PLATFORM_OWNER), ...(tracing ? [openTelemetry(tracing)] : [])],
    });
    const parent = this;
    const { topology, stack, config, transform } = args;

    // Declaring thousands of resources without capturing stacks (restored after, or if a declaration throws).
    const restoreStackTraces = shallowStackTraces();
    const key = new StackKey(
      `${name}Key`,
      { aliasName: `${stack}-ensemble`, eventBridgeQueues: topology.contexts.some((context) => context.failure !== undefined), transform: transform?.key },
      { parent },
    );
    const logs: LogSettings = { retentionDays: config.logs.retentionDays, kmsKeyArn: key.arn };
    const alarmTopic = createAlarmTopic();
    const alarms: AlarmSettings = { ...config.alarms, actions: [alarmTopic.arn, ...config.alarms.notify.topicArns] };
    const network = createNetwork();
    const cluster = createCluster();
    const topics = createTopics();
    const contexts = createContexts();
    const groups = createGroups();
    const observability = createObservability();
    restoreStackTraces();

    this.network = network;
    this.cluster = cluster;
    this.topics = topics;
    this.contexts = contexts;
    this.groups = groups;
    this.observability = observability;
    this.key = key;
    this.alarmTopic = alarmTopic;
    this.registerOutputs({});

    function createAlarmTopic() {
      const { emails, https } = config.alarms.notify;
      return new AlarmTopic(`${name}Alarms`, { topicName: `${stack}-ensemble-alarms`, kmsKeyArn: key.arn, emails, https, transform: transform?.alarmTopic }, { parent });
    }

    function createNetwork() {
      const { vpcId, privateSubnetIds, azCount, cidr, egress } = config.network;
      // The ADOT layer's collector exports to X-Ray by default: in a VPC whose only way out is its
      // endpoints, functions in it (publishers, tasks) reach X-Ray through one of its own.
      // https://docs.aws.amazon.com/xray/latest/devguide/xray-security-vpc-endpoint.html
      const toXRay = tracing !== undefined && tracing.endpoint === undefined && egress === "endpoints";
      const endpoints = toXRay && !config.network.endpoints.includes("xray") ? [...config.network.endpoints, "xray"] : config.network.endpoints;
      return new Network(
        `${name}Network`,
        vpcId && privateSubnetIds
          ? { existing: { vpcId, privateSubnetIds }, transform: transform?.network }
          : { azCount: azCount as 2 | 3, cidr, egress, endpoints, flowLogs: logs, transform: transform?.network },
        { parent },
      );
    }

    function createCluster() {
      const kafka = config.kafka;
      return new KafkaCluster(
        `${name}Kafka`,
        kafka.existingClusterArn
          ? { network, existingClusterArn: kafka.existingClusterArn, existingBootstrapBrokers: kafka.existingBootstrapBrokers, transform: transform?.kafka }
          : {
              network,
              clusterName: `${stack}-ensemble`,
              version: kafka.version,
              brokers: kafka.brokers,
              instanceType: kafka.instanceType,
              volumeGb: kafka.volumeGb,
              replicationFactor: replicationFactor(config),
              partitions: kafka.partitions,
              logs,
              encryptionAtRestKmsKeyArn: key.arn,
              enhancedMonitoring: kafka.enhancedMonitoring,
              alarms: { ...alarms, diskPercent: alarms.brokerDiskPercent },
              transform: transform?.kafka,
            },
        { parent },
      );
    }

    function createTopics() {
      const replicas = replicationFactor(config);
      return topology.topics.map((topic) =>
        cluster.addTopic(topic.name, {
          partitions: partitionsOf(topic, config.kafka.partitions),
          replicationFactor: replicas,
          // Dead letters and violations wait for a person, not a consumer: both keep the longer retention.
          retentionHours: topic.purpose === "events" ? config.kafka.retentionHours : config.kafka.deadLetterRetentionHours,
          purpose: topic.purpose,
        }),
      );
    }

    /** A function's ARN from its name, for a reference that must not wait for the function. */
    function functionArn(functionName: string): pulumi.Output<string> {
      return arnByName("lambda", `function:${functionName}`, parent);
    }

    function createContexts() {
      return Object.fromEntries(
        topology.contexts.map((context) => [
          context.name,
          new BoundedContext(
            `${name}${pascal(context.name)}`,
            {
              context,
              stack,
              cluster,
              network,
              functions: { memoryMb: config.functions.memoryMb, timeoutSeconds: config.functions.timeoutSeconds },
              logs,
              stateMachineLogs: { level: config.logs.stateMachineLevel, includeExecutionData: config.logs.stateMachineExecutionData },
              tasksInVpc: config.functions.tasksInVpc,
              // By name: the correlator is created after the state machine it answers.
              ...(correlatorOf(context) ? { correlatorFunctionArn: functionArn(names.consumerFunction(stack, correlatorName(context.name))) } : {}),
              kmsKeyArn: key.arn,
              alarms,
              transform: transform?.context,
            },
            { parent, transformations: [ownerTag(context.name)] },
          ),
        ]),
      );
    }

    function createGroups() {
      const topicByName = new Map(topology.topics.map((topic, index) => [topic.name, topics[index]!]));
      const topicNamed = (topicName: string): aws.msk.Topic => {
        const topic = topicByName.get(topicName);
        if (!topic) throw new InvalidComponentArgsError(`EnsemblePlatform "${name}": a group uses the topic ${topicName}, which the topology does not declare.`);
        return topic;
      };
      return Object.fromEntries(
        planConsumerGroups(topology.consumers, stack, config).map((plan) => [
          plan.name,
          new ConsumerGroup(
            `${name}${pascal(plan.name)}`,
            {
              plan,
              cluster,
              network,
              alarms,
              deletionProtection: config.tables.deletionProtection,
              startStateMachineArn: plan.consumer.startWorkflow ? contexts[plan.consumer.startWorkflow.name]?.stateMachineArn : undefined,
              waitingStateMachineArn: plan.consumer.correlates ? contexts[plan.consumer.correlates.name]?.stateMachineArn : undefined,
              // Only the topics it reads and writes: all of them would be every group's O(groups) wait, O(groups²) in all.
              dependsOn: [...plan.mappings.map((mapping) => mapping.topic), plan.deadLetterTopic, ...(plan.violationTopic ? [plan.violationTopic] : [])].map(topicNamed),
              logs,
              transform: transform?.group,
            },
            { parent, transformations: [ownerTag(plan.name)] },
          ),
        ]),
      );
    }

    function createObservability() {
      return new Observability(
        `${name}Observability`,
        {
          stack,
          dashboardName: `${stack}-ensemble`,
          groups: topology.consumers.map((c) => ({
            name: c.name,
            functionName: names.consumerFunction(stack, c.name),
            logGroupName: groups[c.name]!.fn.nodes.logGroup.name,
          })),
          alarmArns: allAlarms().map((alarm) => alarm.arn),
          invariantViolations: Object.values(groups).some((group) => group.nodes.invariantChecks !== undefined),
          transform: transform?.observability,
        },
        { parent },
      );
    }

    function allAlarms(): aws.cloudwatch.MetricAlarm[] {
      return [
        ...cluster.nodes.diskAlarms,
        ...Object.values(contexts).flatMap((context) => context.nodes.alarms),
        ...Object.values(groups).flatMap((group) => [
          group.nodes.lagAlarm,
          ...Object.values(group.nodes.mappingLagAlarms),
          group.nodes.errorAlarm,
          ...group.nodes.deadLetterAlarms,
          ...(group.nodes.invariantChecks?.violationsAlarms ?? []),
        ]),
      ];
    }
  }
}
