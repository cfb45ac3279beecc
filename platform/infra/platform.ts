import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { names, partitionsOf, pascal, type ValidTopology } from "../model";
import { planConsumerGroups } from "../model/consumer-group-plan";
import { replicationFactor, type StackConfig } from "../model/stack-config";
import { BoundedContext, type BoundedContextArgs } from "./bounded-context";
import { ConsumerGroup, type ConsumerGroupArgs } from "./consumer-group";
import { KafkaCluster, type KafkaClusterArgs } from "./kafka-cluster";
import { Network, type NetworkArgs } from "./network";
import { Observability, type ObservabilityArgs } from "./observability";

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
  };
}

/**
 * Everything one stack deploys: the network, the MSK cluster and its topics (one per context,
 * one dead-letter topic per group), a bounded context per context, a consumer group per group,
 * and the dashboard. Each piece is its own component; this one only wires them.
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

  constructor(name: string, args: EnsemblePlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:Platform", name, {}, opts);
    const parent = this;
    const { topology, stack, config, transform } = args;

    const network = createNetwork();
    const cluster = createCluster();
    const topics = createTopics();
    const contexts = createContexts();
    const groups = createGroups();
    const observability = createObservability();

    this.network = network;
    this.cluster = cluster;
    this.topics = topics;
    this.contexts = contexts;
    this.groups = groups;
    this.observability = observability;
    this.registerOutputs({});

    function createNetwork() {
      const { vpcId, privateSubnetIds, azCount, cidr, egress } = config.network;
      return new Network(
        `${name}Network`,
        vpcId && privateSubnetIds
          ? { existing: { vpcId, privateSubnetIds }, transform: transform?.network }
          : { azCount: azCount as 2 | 3, cidr, egress, transform: transform?.network },
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
              logRetentionDays: config.logRetentionDays,
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
          retentionHours: topic.purpose === "events" ? config.kafka.retentionHours : config.kafka.deadLetterRetentionHours,
          purpose: topic.purpose,
        }),
      );
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
              logRetentionDays: config.logRetentionDays,
              transform: transform?.context,
            },
            { parent },
          ),
        ]),
      );
    }

    function createGroups() {
      return Object.fromEntries(
        planConsumerGroups(topology.consumers, stack, config).map((plan) => [
          plan.name,
          new ConsumerGroup(
            `${name}${pascal(plan.name)}`,
            {
              plan,
              cluster,
              network,
              alarms: config.alarms,
              startStateMachineArn: plan.consumer.startWorkflow ? contexts[plan.consumer.startWorkflow.name]?.stateMachineArn : undefined,
              dependsOn: topics,
              logRetentionDays: config.logRetentionDays,
              transform: transform?.group,
            },
            { parent },
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
          transform: transform?.observability,
        },
        { parent },
      );
    }
  }
}
