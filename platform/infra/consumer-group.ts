import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FunctionEnvironment, IDEMPOTENCY_TABLE_SCHEMA, pascal } from "../model";
import { type ConsumerGroupPlan, type MappingPlan } from "../model/consumer-group-plan";
import { consumerEntry } from "./function-entries";
import { LambdaFunction, type LambdaFunctionArgs } from "./function";
import { consumerStatements, type PolicyStatement } from "./kafka-iam";
import type { KafkaCluster } from "./kafka-cluster";
import type { Network } from "./network";
import { type Transform, transform } from "./transform";

/** The alarms of a group, from `ensemble:alarms`. */
export interface AlarmSettings {
  /** Records behind that raise the lag alarm. */
  offsetLag: number;
  /** Function errors per period that raise the error alarm. */
  errors: number;
  /** Length of one evaluation period, minutes. */
  periodMinutes: number;
  /** Consecutive breaching periods before an alarm fires. */
  evaluationPeriods: number;
  /** SNS topic notified when an alarm fires; none when unset. */
  notifyTopicArn?: string;
}

export interface ConsumerGroupArgs {
  /**
   * The group on this stack, from the model: its subscriptions (one event source mapping each,
   * with its Kafka group id and filters), names and settings after the stack's overrides.
   * @example
   * plan: planConsumerGroup(notifyCustomer, "dev", config)
   */
  plan: ConsumerGroupPlan;
  /**
   * The cluster the event source mappings read and the dead-letter topic lives on.
   * @example
   * cluster: new KafkaCluster("Kafka", { network })
   */
  cluster: KafkaCluster;
  /**
   * The network the function runs in (its private subnets and function security group).
   * @example
   * network: new Network("Network", {})
   */
  network: Network;
  /**
   * Thresholds of the lag and error alarms.
   * @example
   * alarms: { offsetLag: 10_000, errors: 5, periodMinutes: 5, evaluationPeriods: 3 }
   */
  alarms: AlarmSettings;
  /**
   * The state machine a workflow-starting group starts; the only one its role may start.
   * @default none: the group starts no workflow
   * @example
   * startStateMachineArn: shippingContext.stateMachineArn
   */
  startStateMachineArn?: pulumi.Input<string>;
  /**
   * Resources the mappings need to exist first: the topics.
   * @default none
   * @example
   * dependsOn: topics
   */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Retention of the function's log group, days.
   * @default 7
   * @example
   * logRetentionDays: 30
   */
  logRetentionDays?: number;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * `eventSourceMapping` applies to each mapping (the resource name ends in the context's name).
   * @default no change
   * @example
   * transform: { eventSourceMapping: { startingPosition: "LATEST" } }
   * @example
   * transform: { function: { function: (args) => { args.memorySize = 1024; } } }
   */
  transform?: {
    /** The function, its role, policy and log group. */
    function?: LambdaFunctionArgs["transform"];
    eventSourceMapping?: Transform<aws.lambda.EventSourceMappingArgs>;
    idempotencyTable?: Transform<aws.dynamodb.TableArgs>;
    lagAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    errorAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * One consumer group on AWS: its Lambda, one MSK event source mapping per subscribed context
 * (Lambda reads one topic per mapping) with its own consumer group id, filtered to the
 * subscribed event types, provisioned pollers, retries, bisect, partial batch responses and
 * the `kafka://<group>.dlq` on-failure destination; its own idempotency table, reserved
 * concurrency and alarms on offset lag and errors. It can read only its topics, use only its
 * group ids and write only its dead-letter topic.
 *
 * @example
 * const group = new ConsumerGroup("NotifyCustomer", {
 *   plan: planConsumerGroup(notifyCustomer, "dev", config),
 *   cluster,
 *   network,
 *   alarms: config.alarms,
 *   dependsOn: topics,
 * });
 * group.functionName; // dev-notify-customer
 */
export class ConsumerGroup extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly fn: LambdaFunction;
  readonly groupIds: readonly string[];
  readonly deadLetterTopic: string;
  readonly nodes: {
    function: LambdaFunction;
    table: aws.dynamodb.Table;
    /** By Kafka group id (one mapping per subscribed context). */
    eventSourceMappings: Record<string, aws.lambda.EventSourceMapping>;
    lagAlarm: aws.cloudwatch.MetricAlarm;
    errorAlarm: aws.cloudwatch.MetricAlarm;
  };

  constructor(name: string, args: ConsumerGroupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:ConsumerGroup", name, {}, opts);
    const parent = this;
    const { plan } = args;
    const { consumer, settings, deadLetterTopic, functionName } = plan;
    const groupIds = plan.mappings.map((mapping) => mapping.groupId);
    this.groupIds = groupIds;
    this.deadLetterTopic = deadLetterTopic;

    const table = createTable();
    const fn = createFunction();
    const eventSourceMappings = Object.fromEntries(plan.mappings.map((mapping) => [mapping.groupId, createEventSourceMapping(mapping)]));
    const lagAlarm = createLagAlarm();
    const errorAlarm = createErrorAlarm();

    this.fn = fn;
    this.functionName = fn.name;
    this.nodes = { function: fn, table, eventSourceMappings, lagAlarm, errorAlarm };
    this.registerOutputs({ functionName: this.functionName });

    function createTable() {
      return new aws.dynamodb.Table(
        `${name}IdempotencyTable`,
        transform(args.transform?.idempotencyTable, `${name}IdempotencyTable`, {
          name: plan.idempotencyTable,
          billingMode: IDEMPOTENCY_TABLE_SCHEMA.billingMode,
          hashKey: IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name,
          attributes: [{ name: IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name, type: IDEMPOTENCY_TABLE_SCHEMA.partitionKey.type }],
          ttl: { attributeName: IDEMPOTENCY_TABLE_SCHEMA.ttlAttribute, enabled: true },
          serverSideEncryption: { enabled: true },
        }),
        { parent },
      );
    }

    function createFunction() {
      const statements = pulumi.all([args.cluster.arn, table.arn, args.startStateMachineArn]).apply(([clusterArn, tableArn, stateMachineArn]) => {
        const list: PolicyStatement[] = [
          ...consumerStatements(clusterArn, { topics: plan.mappings.map((mapping) => mapping.topic), groupIds, deadLetterTopic }),
          {
            Sid: "IdempotencyTable",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            Resource: [tableArn],
          },
        ];
        if (stateMachineArn) list.push({ Sid: "StartWorkflow", Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] });
        return list;
      });
      return new LambdaFunction(
        `${name}`,
        {
          functionName,
          entry: consumerEntry(consumer),
          description: consumer.description ?? `consumer group ${consumer.name}`,
          memoryMb: settings.memoryMb,
          timeoutSeconds: settings.timeoutSeconds,
          reservedConcurrency: settings.reservedConcurrency,
          logRetentionDays: args.logRetentionDays,
          environment: {
            [FunctionEnvironment.KafkaBrokers]: args.cluster.bootstrapBrokersIam,
            [FunctionEnvironment.KafkaAuth]: "iam",
            [FunctionEnvironment.IdempotencyTable]: table.name,
            [FunctionEnvironment.IdempotencyTtlSeconds]: String(settings.dedupeWindowSeconds),
            POWERTOOLS_SERVICE_NAME: consumer.name,
            ...(args.startStateMachineArn ? { [FunctionEnvironment.StartStateMachineArn]: args.startStateMachineArn } : {}),
          },
          vpc: { subnetIds: args.network.privateSubnetIds, securityGroupIds: [args.network.functionSecurityGroupId] },
          statements,
          transform: args.transform?.function,
        },
        { parent },
      );
    }

    function createEventSourceMapping(mapping: MappingPlan) {
      const id = `${name}EventSourceMapping${pascal(mapping.context)}`;
      return new aws.lambda.EventSourceMapping(
        id,
        transform(args.transform?.eventSourceMapping, id, {
          eventSourceArn: args.cluster.arn,
          functionName: fn.arn,
          topics: [mapping.topic],
          startingPosition: consumer.startingPosition,
          batchSize: settings.batchSize,
          maximumBatchingWindowInSeconds: settings.windowSeconds,
          amazonManagedKafkaEventSourceConfig: { consumerGroupId: mapping.groupId },
          filterCriteria: { filters: mapping.filters.map((pattern) => ({ pattern })) },
          provisionedPollerConfig: { minimumPollers: settings.minPollers, maximumPollers: settings.maxPollers },
          maximumRetryAttempts: consumer.retries,
          maximumRecordAgeInSeconds: consumer.maxRecordAgeSeconds,
          bisectBatchOnFunctionError: consumer.bisectOnError,
          functionResponseTypes: ["ReportBatchItemFailures"],
          destinationConfig: { onFailure: { destinationArn: `kafka://${deadLetterTopic}` } },
          metricsConfig: { metrics: ["EventCount", "ErrorCount", "KafkaMetrics"] },
        }),
        // The role must allow reading before Lambda validates the mapping.
        { parent, dependsOn: [fn.nodes.policy, ...(args.dependsOn ?? [])] },
      );
    }

    function createLagAlarm() {
      return new aws.cloudwatch.MetricAlarm(
        `${name}LagAlarm`,
        transform(args.transform?.lagAlarm, `${name}LagAlarm`, {
          name: `${functionName}-offset-lag`,
          alarmDescription: `Consumer group ${consumer.name} is more than ${args.alarms.offsetLag} records behind.`,
          namespace: "AWS/Lambda",
          metricName: "OffsetLag",
          dimensions: { FunctionName: functionName },
          statistic: "Maximum",
          period: args.alarms.periodMinutes * 60,
          evaluationPeriods: args.alarms.evaluationPeriods,
          threshold: args.alarms.offsetLag,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: args.alarms.notifyTopicArn ? [args.alarms.notifyTopicArn] : [],
        }),
        { parent, dependsOn: [fn] },
      );
    }

    function createErrorAlarm() {
      return new aws.cloudwatch.MetricAlarm(
        `${name}ErrorAlarm`,
        transform(args.transform?.errorAlarm, `${name}ErrorAlarm`, {
          name: `${functionName}-errors`,
          alarmDescription: `Consumer group ${consumer.name} failed ${args.alarms.errors} or more invocations in ${args.alarms.periodMinutes} minutes.`,
          namespace: "AWS/Lambda",
          metricName: "Errors",
          dimensions: { FunctionName: functionName },
          statistic: "Sum",
          period: args.alarms.periodMinutes * 60,
          evaluationPeriods: args.alarms.evaluationPeriods,
          threshold: args.alarms.errors,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: args.alarms.notifyTopicArn ? [args.alarms.notifyTopicArn] : [],
        }),
        { parent, dependsOn: [fn] },
      );
    }
  }
}
