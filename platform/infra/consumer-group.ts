import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FunctionEnvironment, IDEMPOTENCY_TABLE_SCHEMA, pascal } from "../model";
import { type ConsumerGroupPlan, type MappingPlan } from "../model/consumer-group-plan";
import { ALARM_METRICS_MAX, type AlarmSettings, inRunsOf, metricAlarm, metricQuery } from "./alarm";
import { WAIT_TABLE_SCHEMA } from "../model/correlator";
import { INVARIANT_TABLE_SCHEMA } from "../model/invariants-group";
import { correlatorStatements } from "./correlator-iam";
import { createInvariantChecks, type InvariantChecksNodes, type InvariantChecksTransform, invariantKeepSeconds } from "./invariant-checks";
import { invariantsStatements } from "./invariant-iam";
import { InvalidComponentArgsError } from "./errors";
import { consumerEntry } from "./function-entries";
import { LambdaFunction, type LambdaFunctionArgs, type LogSettings } from "./function";
import { metricNamespace } from "./metric-namespace";
import { consumerStatements, type PolicyStatement } from "./kafka-iam";
import type { KafkaCluster } from "./kafka-cluster";
import type { Network } from "./network";
import { type Transform, transform } from "./transform";

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
   * Thresholds of the group's alarms (offset lag of the function and of each Kafka group id,
   * errors, dead-lettered records) and the topics they notify.
   * @example
   * alarms: { offsetLag: 10_000, errors: 5, deadLettered: 1, periodMinutes: 5, evaluationPeriods: 3, actions: [alarmTopic.arn] }
   */
  alarms: Pick<AlarmSettings, "offsetLag" | "errors" | "deadLettered" | "periodMinutes" | "evaluationPeriods" | "actions">;
  /**
   * Refuse deletion of the idempotency table (a `pulumi destroy` fails until it is turned off).
   * @default true
   * @example
   * deletionProtection: false
   */
  deletionProtection?: boolean;
  /**
   * The state machine a workflow-starting group starts; the only one its role may start.
   * @default none: the group starts no workflow
   * @example
   * startStateMachineArn: shippingContext.stateMachineArn
   */
  startStateMachineArn?: pulumi.Input<string>;
  /**
   * The state machine whose waits a correlator completes (SendTaskSuccess): the only one its role
   * may answer. Required for a correlator group (its plan has a `waitTable`).
   * @example
   * waitingStateMachineArn: billingContext.stateMachineArn
   */
  waitingStateMachineArn?: pulumi.Input<string>;
  /**
   * Resources the mappings need to exist first: the topics.
   * @default none
   * @example
   * dependsOn: topics
   */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Retention and encryption of the function's log group.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * logs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  logs?: LogSettings;
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
    /** A correlator's table of waits. */
    waitTable?: Transform<aws.dynamodb.TableArgs>;
    /** The invariants group's table of each key's events. */
    invariantTable?: Transform<aws.dynamodb.TableArgs>;
    /** The invariants group's schedule, its metric filter and alarm. */
    invariantChecks?: InvariantChecksTransform;
    lagAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    /** Each Kafka group id's lag alarm (the resource name ends in the context's name). */
    mappingLagAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    errorAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    /** Each dead-letter alarm (one per 10 metrics it reads). */
    deadLetterAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
  };
}

/**
 * One consumer group on AWS: its Lambda, one MSK event source mapping per subscribed context
 * (Lambda reads one topic per mapping) with its own consumer group id, filtered to the
 * subscribed event types, provisioned pollers, retries, bisect, partial batch responses and
 * the `kafka://<group>.dlq` on-failure destination; its own idempotency table, reserved
 * concurrency and alarms on offset lag and errors. It can read only its topics, use only its
 * group ids and write only its dead-letter topic. A correlator has its table of waits too; the
 * invariants group its table of each key's events, the violations topic to write, a schedule and
 * an alarm on violations.
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
interface TableSchema {
  readonly partitionKey: { readonly name: string; readonly type: string };
  readonly ttlAttribute: string;
  /** A global secondary index of what is due (the invariants table's), every attribute projected. */
  readonly dueIndex?: { readonly name: string; readonly partitionKey: { readonly name: string; readonly type: string }; readonly sortKey: { readonly name: string; readonly type: string } };
}

export class ConsumerGroup extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly fn: LambdaFunction;
  readonly groupIds: readonly string[];
  readonly deadLetterTopic: string;
  readonly nodes: {
    function: LambdaFunction;
    table: aws.dynamodb.Table;
    /** A correlator's table of waits and early events. */
    waitTable: aws.dynamodb.Table | undefined;
    /** The invariants group's table of each key's events. */
    invariantTable: aws.dynamodb.Table | undefined;
    /** The invariants group's schedule, violations metric filter and alarms. */
    invariantChecks: InvariantChecksNodes | undefined;
    /** By Kafka group id (one mapping per subscribed context). */
    eventSourceMappings: Record<string, aws.lambda.EventSourceMapping>;
    lagAlarm: aws.cloudwatch.MetricAlarm;
    /** By Kafka group id. */
    mappingLagAlarms: Record<string, aws.cloudwatch.MetricAlarm>;
    errorAlarm: aws.cloudwatch.MetricAlarm;
    /** One alarm reads at most 10 metrics: the wrapper's and 9 mappings', then 10 mappings' more per alarm. */
    deadLetterAlarms: aws.cloudwatch.MetricAlarm[];
  };

  constructor(name: string, args: ConsumerGroupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:ConsumerGroup", name, {}, opts);
    const parent = this;
    const { plan } = args;
    const { consumer, settings, deadLetterTopic, functionName } = plan;
    const groupIds = plan.mappings.map((mapping) => mapping.groupId);
    this.groupIds = groupIds;
    this.deadLetterTopic = deadLetterTopic;

    const table = createTable(`${name}IdempotencyTable`, plan.idempotencyTable, IDEMPOTENCY_TABLE_SCHEMA, args.transform?.idempotencyTable);
    const waitTable = plan.waitTable ? createTable(`${name}WaitTable`, plan.waitTable, WAIT_TABLE_SCHEMA, args.transform?.waitTable) : undefined;
    if (waitTable && !args.waitingStateMachineArn) {
      throw new InvalidComponentArgsError(`ConsumerGroup "${name}": the correlator ${consumer.name} needs waitingStateMachineArn, the state machine whose waits it completes.`);
    }
    const { invariantTable: invariantTableName, violationTopic } = plan;
    const checks = consumer.checks ?? [];
    const invariantTable = invariantTableName ? createTable(`${name}InvariantTable`, invariantTableName, INVARIANT_TABLE_SCHEMA, args.transform?.invariantTable) : undefined;
    const fn = createFunction();
    const eventSourceMappings = Object.fromEntries(plan.mappings.map((mapping) => [mapping.groupId, createEventSourceMapping(mapping)]));
    const lagAlarm = createLagAlarm();
    const mappingLagAlarms = Object.fromEntries(plan.mappings.map((mapping) => [mapping.groupId, createMappingLagAlarm(mapping)]));
    const errorAlarm = createErrorAlarm();
    const deadLetterAlarms = createDeadLetterAlarms();
    const invariantChecks =
      invariantTable && violationTopic
        ? createInvariantChecks(
            name,
            { stack: plan.stack, functionName, invariants: checks, fn, violationTopic, alarms: args.alarms, dependsOn: args.dependsOn, transform: args.transform?.invariantChecks },
            parent,
          )
        : undefined;

    this.fn = fn;
    this.functionName = fn.name;
    this.nodes = { function: fn, table, waitTable, invariantTable, invariantChecks, eventSourceMappings, lagAlarm, mappingLagAlarms, errorAlarm, deadLetterAlarms };
    this.registerOutputs({ functionName: this.functionName });

    function createTable(id: string, tableName: string, schema: TableSchema, edit: Transform<aws.dynamodb.TableArgs> | undefined) {
      const index = schema.dueIndex;
      return new aws.dynamodb.Table(
        id,
        transform(edit, id, {
          name: tableName,
          billingMode: "PAY_PER_REQUEST",
          hashKey: schema.partitionKey.name,
          attributes: [schema.partitionKey, ...(index ? [index.partitionKey, index.sortKey] : [])].map((key) => ({ name: key.name, type: key.type })),
          ...(index
            ? {
                globalSecondaryIndexes: [
                  {
                    name: index.name,
                    keySchemas: [
                      { attributeName: index.partitionKey.name, keyType: "HASH" },
                      { attributeName: index.sortKey.name, keyType: "RANGE" },
                    ],
                    projectionType: "ALL",
                  },
                ],
              }
            : {}),
          ttl: { attributeName: schema.ttlAttribute, enabled: true },
          // The AWS-managed KMS key (Control Tower CT.DYNAMODB.PR.2).
          serverSideEncryption: { enabled: true },
          pointInTimeRecovery: { enabled: true },
          deletionProtectionEnabled: args.deletionProtection ?? true,
        }),
        { parent },
      );
    }

    function createFunction() {
      const tableArns = pulumi.all([table.arn, waitTable?.arn, invariantTable?.arn]);
      const statements = pulumi.all([args.cluster.arn, tableArns, args.startStateMachineArn, args.waitingStateMachineArn]).apply(([clusterArn, [tableArn, waitTableArn, invariantTableArn], stateMachineArn, waitingArn]) => {
        const topics = plan.mappings.map((mapping) => mapping.topic);
        const list: PolicyStatement[] = [
          ...consumerStatements(clusterArn, { topics, groupIds, deadLetterTopic, ...(violationTopic ? { writeTopics: [violationTopic] } : {}) }),
          ...(waitTableArn && waitingArn
            ? correlatorStatements(tableArn, waitTableArn, waitingArn)
            : invariantTableArn
              ? invariantsStatements(tableArn, invariantTableArn)
              : [{ Sid: "IdempotencyTable", Effect: "Allow" as const, Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], Resource: [tableArn] }]),
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
          logs: args.logs,
          environment: {
            [FunctionEnvironment.KafkaBrokers]: args.cluster.bootstrapBrokersIam,
            [FunctionEnvironment.KafkaAuth]: "iam",
            [FunctionEnvironment.IdempotencyTable]: table.name,
            [FunctionEnvironment.IdempotencyTtlSeconds]: String(settings.dedupeWindowSeconds),
            POWERTOOLS_SERVICE_NAME: consumer.name,
            ...(args.startStateMachineArn ? { [FunctionEnvironment.StartStateMachineArn]: args.startStateMachineArn } : {}),
            ...(waitTable ? { [FunctionEnvironment.WaitTable]: waitTable.name } : {}),
            ...(invariantTable && violationTopic
              ? {
                  [FunctionEnvironment.InvariantTable]: invariantTable.name,
                  [FunctionEnvironment.ViolationTopic]: violationTopic,
                  [FunctionEnvironment.InvariantKeepSeconds]: String(invariantKeepSeconds(checks, settings.dedupeWindowSeconds)),
                }
              : {}),
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
          provisionedPollerConfig: { minimumPollers: settings.minPollers, maximumPollers: settings.maxPollers, pollerGroupName: mapping.pollerGroup },
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
      return metricAlarm(
        `${name}LagAlarm`,
        {
          name: `${functionName}-offset-lag`,
          alarmDescription: `Consumer group ${consumer.name} is more than ${args.alarms.offsetLag} records behind on a topic.`,
          namespace: "AWS/Lambda",
          metricName: "OffsetLag",
          dimensions: { FunctionName: functionName },
          statistic: "Maximum",
          threshold: args.alarms.offsetLag,
          comparisonOperator: "GreaterThanThreshold",
        },
        args.alarms,
        { parent, dependsOn: [fn], transform: args.transform?.lagAlarm },
      );
    }

    // Per Kafka group id: the mapping's own SumOffsetLag (its `KafkaMetrics`, dimension
    // EventSourceMappingUUID, https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics).
    function createMappingLagAlarm(mapping: MappingPlan) {
      const id = `${name}LagAlarm${pascal(mapping.context)}`;
      return metricAlarm(
        id,
        {
          name: `${functionName}-offset-lag-${mapping.context}`,
          alarmDescription: `Kafka group ${mapping.groupId} is more than ${args.alarms.offsetLag} records behind on ${mapping.topic}.`,
          namespace: "AWS/Lambda",
          metricName: "SumOffsetLag",
          dimensions: { EventSourceMappingUUID: eventSourceMappings[mapping.groupId]!.uuid },
          statistic: "Maximum",
          threshold: args.alarms.offsetLag,
          comparisonOperator: "GreaterThanThreshold",
        },
        args.alarms,
        { parent, transform: args.transform?.mappingLagAlarm },
      );
    }

    function createErrorAlarm() {
      return metricAlarm(
        `${name}ErrorAlarm`,
        {
          name: `${functionName}-errors`,
          alarmDescription: `Consumer group ${consumer.name} failed ${args.alarms.errors} or more invocations in ${args.alarms.periodMinutes} minutes.`,
          namespace: "AWS/Lambda",
          metricName: "Errors",
          dimensions: { FunctionName: functionName },
          statistic: "Sum",
          threshold: args.alarms.errors,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
        },
        args.alarms,
        { parent, dependsOn: [fn], transform: args.transform?.errorAlarm },
      );
    }

    // Both writers of the group's dead-letter topic: the wrapper (its "record dead-lettered" log
    // lines, counted by the stack's metric filter) and each mapping's on-failure destination.
    function createDeadLetterAlarms() {
      const period = args.alarms.periodMinutes;
      const queries = [
        metricQuery("wrapper", metricNamespace(plan.stack), "DeadLettered", { Group: consumer.name }, "Sum", period),
        ...plan.mappings.map((mapping, index) =>
          metricQuery(`mapping${index}`, "AWS/Lambda", "OnFailureDestinationDeliveredEventCount", { EventSourceMappingUUID: eventSourceMappings[mapping.groupId]!.uuid }, "Sum", period),
        ),
      ];
      return inRunsOf(queries, ALARM_METRICS_MAX).map((run, index) =>
        metricAlarm(
          `${name}DeadLetterAlarm${index === 0 ? "" : index + 1}`,
          {
            name: `${functionName}-dead-lettered${index === 0 ? "" : `-${index + 1}`}`,
            alarmDescription: `Consumer group ${consumer.name} wrote ${args.alarms.deadLettered} or more records to ${deadLetterTopic} in ${period} minutes: list them with npm run redrive -- ${consumer.name} --dry-run --aws --stack ${plan.stack} (docs/redrive.md).`,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: args.alarms.deadLettered,
            metricQueries: [...run, { id: "deadLettered", expression: run.map((query) => `FILL(${query.id}, 0)`).join(" + "), label: `Records written to ${deadLetterTopic}`, returnData: true }],
          },
          args.alarms,
          { parent, transform: args.transform?.deadLetterAlarm, counts: true },
        ),
      );
    }
  }
}
