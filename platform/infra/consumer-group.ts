import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ConsumerDefinition, names } from "../model";
import { IDEMPOTENCY_TABLE_SCHEMA, IDEMPOTENCY_TTL_ENV } from "../runtime/idempotency";
import { consumerEntry } from "./function-entries";
import { LambdaFunction, type LambdaFunctionArgs } from "./function";
import { consumerStatements, type PolicyStatement } from "./kafka-iam";
import type { KafkaCluster } from "./kafka-cluster";
import type { Network } from "./network";
import { type Transform, transform } from "./transform";

/** The group's settings after the stack's overrides (`ensemble:consumers.<group>`); see `consumerSettings()`. */
export interface ConsumerSettings {
  /** Records per batch, at most. */
  batchSize: number;
  /** Seconds Lambda gathers records before invoking. */
  windowSeconds: number;
  /** Provisioned pollers per event source mapping, at least. */
  minPollers: number;
  /** Provisioned pollers per event source mapping, at most. */
  maxPollers: number;
  /** Reserved concurrency of the function; `undefined` reserves none. */
  reservedConcurrency?: number;
  /** Memory of the function, MB. */
  memoryMb: number;
  /** Timeout of the function, seconds. */
  timeoutSeconds: number;
  /** How long the group remembers handled event ids: as long as a record it can read again lives. */
  dedupeWindowSeconds: number;
}

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
   * The group from `consumers/`: what it subscribes to, its handler and its error handling.
   * @example
   * consumer: notifyCustomer
   */
  consumer: ConsumerDefinition;
  /**
   * The stack, part of the function name (`<stack>-<group>`) and the Kafka group ids
   * (`<stack>.<group>.<context>`).
   * @example
   * stack: pulumi.getStack()
   */
  stack: string;
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
   * Batching, pollers, concurrency, memory and timeout, after the stack's overrides.
   * @example
   * settings: consumerSettings(stack, consumer, config)
   */
  settings: ConsumerSettings;
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
 *   consumer: notifyCustomer,
 *   stack: "dev",
 *   cluster,
 *   network,
 *   settings: consumerSettings("dev", notifyCustomer, config),
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
    eventSourceMappings: aws.lambda.EventSourceMapping[];
    lagAlarm: aws.cloudwatch.MetricAlarm;
    errorAlarm: aws.cloudwatch.MetricAlarm;
  };

  constructor(name: string, args: ConsumerGroupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:ConsumerGroup", name, {}, opts);
    const parent = this;
    const { consumer, stack, settings } = args;
    const subscriptions = subscriptionsOf(consumer);
    const deadLetterTopic = names.deadLetterTopic(consumer.name);
    const groupIds = subscriptions.map((s) => names.consumerGroupId(stack, consumer.name, s.context));
    const functionName = names.consumerFunction(stack, consumer.name);
    this.groupIds = groupIds;
    this.deadLetterTopic = deadLetterTopic;

    const table = createTable();
    const fn = createFunction();
    const eventSourceMappings = subscriptions.map(createEventSourceMapping);
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
          name: `${functionName}-idempotency`,
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
          ...consumerStatements(clusterArn, { topics: subscriptions.map((s) => s.topic), groupIds, deadLetterTopic }),
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
            ENSEMBLE_KAFKA_BROKERS: args.cluster.bootstrapBrokersIam,
            ENSEMBLE_KAFKA_AUTH: "iam",
            ENSEMBLE_IDEMPOTENCY_TABLE: table.name,
            [IDEMPOTENCY_TTL_ENV]: String(settings.dedupeWindowSeconds),
            POWERTOOLS_SERVICE_NAME: consumer.name,
            ...(args.startStateMachineArn ? { ENSEMBLE_START_STATE_MACHINE_ARN: args.startStateMachineArn } : {}),
          },
          vpc: { subnetIds: args.network.privateSubnetIds, securityGroupIds: [args.network.functionSecurityGroupId] },
          statements,
          transform: args.transform?.function,
        },
        { parent },
      );
    }

    function createEventSourceMapping(subscription: Subscription, index: number) {
      const id = `${name}EventSourceMapping${pascal(subscription.context)}`;
      return new aws.lambda.EventSourceMapping(
        id,
        transform(args.transform?.eventSourceMapping, id, {
          eventSourceArn: args.cluster.arn,
          functionName: fn.arn,
          topics: [subscription.topic],
          startingPosition: consumer.startingPosition,
          batchSize: settings.batchSize,
          maximumBatchingWindowInSeconds: settings.windowSeconds,
          amazonManagedKafkaEventSourceConfig: { consumerGroupId: groupIds[index] },
          filterCriteria: { filters: filterPatterns(subscription.types).map((pattern) => ({ pattern })) },
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

interface Subscription {
  readonly context: string;
  readonly topic: string;
  readonly types: readonly string[];
}

/** The group's subscriptions by context topic, in first-subscription order. */
export function subscriptionsOf(consumer: ConsumerDefinition): Subscription[] {
  const byContext = new Map<string, string[]>();
  for (const event of consumer.on) byContext.set(event.context, [...(byContext.get(event.context) ?? []), event.type]);
  return [...byContext].map(([context, types]) => ({ context, topic: names.contextTopic(context), types }));
}

/**
 * The event source mapping's filters (ORed). MSK filters only on the record's value, as JSON
 * (kafka-filtering.html), so they can tell a structured-mode CloudEvent by its `specversion` and
 * `type` in the value, and nothing else:
 * - structured events of the subscribed types;
 * - JSON values without a `specversion`: binary-mode events, whose type is in a header the filter
 *   cannot read, so the wrapper reads it (and skips types the group does not subscribe to);
 * - JSON values without a `type`: malformed, so they reach the wrapper and are dead-lettered
 *   rather than dropped.
 * Structured events of other types, and values that are not JSON, are dropped and counted
 * (`FilteredOutEventCount` on AWS, `filtered` locally).
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html
 */
export function filterPatterns(types: readonly string[]): string[] {
  return [
    JSON.stringify({ value: { type: [...types] } }),
    JSON.stringify({ value: { specversion: [{ exists: false }] } }),
    JSON.stringify({ value: { type: [{ exists: false }] } }),
  ];
}

function pascal(text: string): string {
  return text.replace(/(^|[-_.])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
