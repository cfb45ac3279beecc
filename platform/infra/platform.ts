import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ConsumerDefinition, names, type ValidTopology } from "../model";
import { BoundedContext } from "./bounded-context";
import { replicationFactor, type StackConfig, StackConfigError } from "./config";
import { ConsumerGroup, type ConsumerSettings } from "./consumer-group";
import { KafkaCluster } from "./kafka-cluster";
import { Network } from "./network";
import { Observability } from "./observability";

export interface EnsemblePlatformArgs {
  /** The validated topology from `contexts/` and `consumers/`. */
  topology: ValidTopology;
  stack: string;
  config: StackConfig;
}

/**
 * Everything one stack deploys: the network, the MSK cluster and its topics (one per context,
 * one dead-letter topic per group), a bounded context per context, a consumer group per group,
 * and the dashboard. Each piece is its own component; this one only wires them.
 *
 * @example
 * const platform = new EnsemblePlatform("Ensemble", { topology, stack: pulumi.getStack(), config });
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
    const { topology, stack, config } = args;

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
        vpcId && privateSubnetIds ? { existing: { vpcId, privateSubnetIds } } : { azCount: azCount as 2 | 3, cidr, egress },
        { parent },
      );
    }

    function createCluster() {
      const kafka = config.kafka;
      return new KafkaCluster(
        `${name}Kafka`,
        kafka.existingClusterArn
          ? { network, existingClusterArn: kafka.existingClusterArn, existingBootstrapBrokers: kafka.existingBootstrapBrokers }
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
            },
        { parent },
      );
    }

    function createTopics() {
      const replicas = replicationFactor(config);
      return topology.topics.map((topic) =>
        cluster.addTopic(topic.name, {
          partitions: topic.purpose === "events" ? config.kafka.partitions : Math.max(1, Math.ceil(config.kafka.partitions / 2)),
          replicationFactor: replicas,
          retentionHours: topic.purpose === "events" ? config.kafka.retentionHours : 14 * 24,
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
            },
            { parent },
          ),
        ]),
      );
    }

    function createGroups() {
      return Object.fromEntries(
        topology.consumers.map((consumer) => [
          consumer.name,
          new ConsumerGroup(
            `${name}${pascal(consumer.name)}`,
            {
              consumer,
              stack,
              cluster,
              network,
              settings: consumerSettings(stack, consumer, config),
              alarms: config.alarms,
              startStateMachineArn: consumer.startWorkflow ? contexts[consumer.startWorkflow.name]?.stateMachineArn : undefined,
              dependsOn: topics,
              logRetentionDays: config.logRetentionDays,
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
        },
        { parent },
      );
    }
  }
}

/**
 * A group's settings on this stack: what `consumers/<group>/consumer.ts` declares, overridden by
 * `ensemble:consumers.<group>`. Reserved concurrency is at least the pollers' maximum, so
 * provisioned pollers are never throttled by it.
 */
export function consumerSettings(stack: string, consumer: ConsumerDefinition, config: StackConfig): ConsumerSettings {
  const override = config.consumers[consumer.name] ?? {};
  const minPollers = override.minPollers ?? consumer.scaling.minPollers;
  const maxPollers = override.maxPollers ?? consumer.scaling.maxPollers;
  if (minPollers > maxPollers) {
    throw new StackConfigError(stack, [
      `ensemble:consumers.${consumer.name}: minPollers ${minPollers} is greater than maxPollers ${maxPollers} (after applying the stack's overrides to ${consumer.definedIn ?? consumer.name}).`,
    ]);
  }
  return {
    batchSize: override.batchSize ?? consumer.batch.size,
    windowSeconds: override.windowSeconds ?? consumer.batch.windowSeconds,
    minPollers,
    maxPollers,
    reservedConcurrency: override.reservedConcurrency ?? Math.max(config.functions.consumerConcurrency, maxPollers),
    memoryMb: override.memoryMb ?? config.functions.memoryMb,
    timeoutSeconds: config.functions.timeoutSeconds,
  };
}

function pascal(text: string): string {
  return text.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
