import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import validateAsl from "asl-validator";
import { bindWorkflow, type ContextDefinition, FUNCTION_DEFAULTS, FunctionEnvironment, names } from "../model";
import { InvalidComponentArgsError, StateMachineDefinitionError } from "./errors";
import { publisherEntry, taskEntry } from "./function-entries";
import { type AlarmSettings, metricAlarm } from "./alarm";
import { arnByName } from "./arn";
import { createFailureBackstop, createFailureQueue, type FailureBackstopNodes, type FailureBackstopTransform, failureQueueStatements, reconcileStatements } from "./failure-backstop";
import { LOG_RETENTION_DEFAULT_DAYS, STATE_MACHINE_LOGS_DEFAULT, type StateMachineLogLevel } from "../model/security-baseline";
import { LambdaFunction, type LambdaFunctionArgs, type LogSettings } from "./function";
import { publisherStatements } from "./kafka-iam";
import type { KafkaCluster } from "./kafka-cluster";
import type { Network } from "./network";
import { roleName } from "./role-name";
import { type Transform, transform } from "./transform";

export interface BoundedContextArgs {
  /**
   * The context from `contexts/`, with its tasks and workflow (it must have a workflow).
   * @example
   * context: orders
   */
  context: ContextDefinition;
  /**
   * The stack, part of every physical name (`<stack>-<context>`, `<stack>-<context>-<Task>`).
   * @example
   * stack: pulumi.getStack()
   */
  stack: string;
  /**
   * The cluster the publisher writes the context's topic on.
   * @example
   * cluster: new KafkaCluster("Kafka", { network })
   */
  cluster: KafkaCluster;
  /**
   * The network the publisher runs in (its private subnets and function security group).
   * @example
   * network: new Network("Network", {})
   */
  network: Network;
  /**
   * Memory and timeout of the task functions, unless a task sets its own.
   * @default `{ memoryMb: 256, timeoutSeconds: 30 }`
   * @example
   * functions: { memoryMb: 512, timeoutSeconds: 60 }
   */
  functions?: { memoryMb?: number; timeoutSeconds?: number };
  /**
   * Retention and encryption of the state machine's and the functions' log groups.
   * @default kept 365 days, encrypted with CloudWatch Logs' own key
   * @example
   * logs: { retentionDays: 365, kmsKeyArn: key.arn }
   */
  logs?: LogSettings;
  /**
   * What the state machine logs. Execution data (each state's input and output) carries the
   * business payload, customer data included; leave it out where logs are read more widely.
   * @default `{ level: "ERROR", includeExecutionData: false }`
   * @example
   * stateMachineLogs: { level: "ALL", includeExecutionData: true }
   */
  stateMachineLogs?: { level: StateMachineLogLevel; includeExecutionData: boolean };
  /**
   * Run the task functions in the network's private subnets (the publisher always is). They then
   * reach AWS APIs only through the network's endpoints or NAT gateway.
   * @default true
   * @example
   * tasksInVpc: false
   */
  tasksInVpc?: boolean;
  /**
   * Alarms on the state machine's failed and timed-out executions and the publisher's errors,
   * notifying `actions` when they fire and when they clear.
   * @default no alarms
   * @example
   * alarms: { executionsFailed: 1, executionsTimedOut: 1, publisherErrors: 1, periodMinutes: 5, evaluationPeriods: 1, actions: [alarmTopic.arn] }
   */
  alarms?: Pick<AlarmSettings, "executionsFailed" | "executionsTimedOut" | "publisherErrors" | "periodMinutes" | "evaluationPeriods" | "actions">;
  /**
   * The function of the context's correlator, which its wait states (`waitFor`) invoke with their
   * task token. Required when the workflow waits.
   * @example
   * correlatorFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:dev-billing-correlator"
   */
  correlatorFunctionArn?: pulumi.Input<string>;
  /**
   * The stack's KMS key: encrypts the failure backstop's dead-letter queue (a context with a
   * failure milestone). Its policy must let EventBridge use it ({@link StackKey}'s `eventBridgeQueues`).
   * @default SQS's own key
   * @example
   * kmsKeyArn: key.arn
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Edits the args of each resource the component creates, before it is created. `task` applies
   * to every task function (the resource name tells them apart), `publisher` to the publisher.
   * @default no change
   * @example
   * transform: { stateMachine: { tags: { team: "orders" } } }
   * @example
   * transform: { task: { function: (args, name) => { if (name.endsWith("ChargePaymentFunction")) args.timeout = 120; } } }
   */
  transform?: {
    stateMachine?: Transform<aws.sfn.StateMachineArgs>;
    stateMachineRole?: Transform<aws.iam.RoleArgs>;
    stateMachinePolicy?: Transform<aws.iam.RolePolicyArgs>;
    stateMachineLogGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
    /** Each task's function, role, policy and log group. */
    task?: LambdaFunctionArgs["transform"];
    /** The milestone publisher's function, role, policy and log group. */
    publisher?: LambdaFunctionArgs["transform"];
    /** Each alarm (the resource name tells them apart). */
    alarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
    /** The failure backstop's queue, rule, target, permission, asynchronous invocation config and reconciliation schedule. */
    failureBackstop?: FailureBackstopTransform;
  };
}

/**
 * One bounded context on AWS: a STANDARD state machine (logging to its own log group at the
 * configured level, X-Ray tracing) running the context's workflow, one Lambda per task (in the
 * VPC unless told otherwise), the milestone publisher Lambda inside the VPC, and alarms on failed
 * and timed-out executions and publisher errors. The state machine may invoke only these
 * functions; the publisher may only connect to the cluster and write, idempotently, the
 * context's topic. A context with a failure milestone also gets the failure backstop (see
 * failure-backstop.ts): an EventBridge rule handing its failed executions to the publisher, a
 * dead-letter queue, with an alarm, for what could not be published, and a schedule on which the
 * publisher reconciles the failed executions whose status change never came (it may then list and
 * describe this state machine's executions).
 *
 * @example
 * const ordersContext = new BoundedContext("Orders", { context: orders, stack: "dev", cluster, network });
 * ordersContext.stateMachineArn; // what a workflow-starting consumer group starts
 * @example
 * new BoundedContext("Orders", { context: orders, stack: "prod", cluster, network, functions: { memoryMb: 512 }, logs: { retentionDays: 365, kmsKeyArn: key.arn }, alarms });
 */
export class BoundedContext extends pulumi.ComponentResource {
  readonly stateMachineArn: pulumi.Output<string>;
  readonly stateMachineName: string;
  readonly topic: string;
  readonly functions: readonly LambdaFunction[];
  readonly nodes: {
    tasks: Record<string, LambdaFunction>;
    publisher: LambdaFunction;
    stateMachine: aws.sfn.StateMachine;
    role: aws.iam.Role;
    policy: aws.iam.RolePolicy;
    logGroup: aws.cloudwatch.LogGroup;
    /** Every alarm of the context, the failure backstop's included. */
    alarms: aws.cloudwatch.MetricAlarm[];
    /** A context with a failure milestone: what publishes it for executions that failed any way. */
    failureBackstop: FailureBackstopNodes | undefined;
  };

  constructor(name: string, args: BoundedContextArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:BoundedContext", name, {}, opts);
    const parent = this;
    const { context, stack } = args;
    if (!context.workflow) {
      throw new InvalidComponentArgsError(`BoundedContext "${name}": context "${context.name}" has no workflow: give it one (defineWorkflow) so there is a state machine to deploy.`);
    }
    const workflow = context.workflow;
    const vpc = { subnetIds: args.network.privateSubnetIds, securityGroupIds: [args.network.functionSecurityGroupId] };
    const functionTimeout = args.functions?.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds;
    this.topic = names.contextTopic(context.name);
    this.stateMachineName = names.stateMachine(stack, context.name);

    const tasks = createTasks();
    const failureQueue = context.failure
      ? createFailureQueue(name, { queueName: `${this.stateMachineName}-failure-dlq`, kmsKeyArn: args.kmsKeyArn, transform: args.transform?.failureBackstop?.queue }, parent)
      : undefined;
    // By name: the state machine's definition names the publisher, so the publisher cannot wait for it.
    const reconciledArn = context.failure ? arnByName("states", `stateMachine:${this.stateMachineName}`, parent) : undefined;
    const publisher = createPublisher();
    const logGroup = createLogGroup();
    const role = createRole();
    const policy = createPolicy();
    const stateMachine = createStateMachine();
    const alarms = args.alarms ? createAlarms(args.alarms) : [];
    const { stateMachineName } = this;
    const failureBackstop =
      context.failure && failureQueue
        ? createFailureBackstop(
            name,
            { stateMachineName, stateMachineArn: stateMachine.arn, eventType: context.failure.type, publisher, queue: failureQueue, alarms: args.alarms },
            { ...args.transform?.failureBackstop, alarm: args.transform?.alarm },
            parent,
          )
        : undefined;
    if (failureBackstop?.alarm) alarms.push(failureBackstop.alarm);

    this.stateMachineArn = stateMachine.arn;
    this.functions = [...Object.values(tasks), publisher];
    this.nodes = { tasks, publisher, stateMachine, role, policy, logGroup, alarms, failureBackstop };
    this.registerOutputs({ stateMachineArn: this.stateMachineArn });

    function createTasks() {
      return Object.fromEntries(
        context.tasks.map((task) => {
          return [
            task.name,
            new LambdaFunction(
              `${name}${task.name}`,
              {
                functionName: names.taskFunction(stack, context.name, task.name),
                entry: taskEntry(context, task),
                description: task.description ?? `${context.name}: task ${task.name}`,
                memoryMb: task.memoryMb ?? args.functions?.memoryMb,
                timeoutSeconds: task.timeoutSeconds ?? args.functions?.timeoutSeconds,
                logs: args.logs,
                environment: { POWERTOOLS_SERVICE_NAME: context.name },
                vpc: args.tasksInVpc === false ? undefined : vpc,
                transform: args.transform?.task,
              },
              { parent },
            ),
          ];
        }),
      );
    }

    function createPublisher() {
      return new LambdaFunction(
        `${name}Publisher`,
        {
          functionName: names.publisherFunction(stack, context.name),
          entry: publisherEntry(context),
          description: `${context.name}: publishes milestones to ${names.contextTopic(context.name)}`,
          timeoutSeconds: functionTimeout,
          logs: args.logs,
          environment: {
            [FunctionEnvironment.KafkaBrokers]: args.cluster.bootstrapBrokersIam,
            [FunctionEnvironment.KafkaAuth]: "iam",
            POWERTOOLS_SERVICE_NAME: `${context.name}-publisher`,
            [FunctionEnvironment.PublishCheckGroupPrefix]: names.publishCheckGroupPrefix(stack, context.name),
            ...(reconciledArn ? { [FunctionEnvironment.StateMachineArn]: reconciledArn } : {}),
          },
          vpc,
          statements: pulumi.all([args.cluster.arn, failureQueue?.arn, args.kmsKeyArn, reconciledArn]).apply(([clusterArn, queueArn, keyArn, machineArn]) => [
            ...publisherStatements(clusterArn, names.contextTopic(context.name), names.publishCheckGroupPrefix(stack, context.name)),
            ...(queueArn ? failureQueueStatements(queueArn, keyArn) : []),
            ...(machineArn ? reconcileStatements(machineArn) : []),
          ]),
          transform: args.transform?.publisher,
        },
        { parent },
      );
    }

    function createLogGroup() {
      return new aws.cloudwatch.LogGroup(
        `${name}StateMachineLogGroup`,
        transform(args.transform?.stateMachineLogGroup, `${name}StateMachineLogGroup`, {
          // The vendedlogs prefix keeps CloudWatch's resource policy small for many machines.
          name: `/aws/vendedlogs/states/${names.stateMachine(stack, context.name)}`,
          retentionInDays: args.logs?.retentionDays ?? LOG_RETENTION_DEFAULT_DAYS,
          kmsKeyId: args.logs?.kmsKeyArn,
        }),
        { parent },
      );
    }

    function createRole() {
      return new aws.iam.Role(
        `${name}StateMachineRole`,
        transform(args.transform?.stateMachineRole, `${name}StateMachineRole`, {
          name: roleName(names.stateMachine(stack, context.name), "sfn"),
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }],
          }),
        }),
        { parent },
      );
    }

    function createPolicy() {
      const functionArns: pulumi.Input<string>[] = [...Object.values(tasks), publisher].map((fn) => fn.arn);
      if (args.correlatorFunctionArn) functionArns.push(args.correlatorFunctionArn);
      return new aws.iam.RolePolicy(
        `${name}StateMachinePolicy`,
        transform(args.transform?.stateMachinePolicy, `${name}StateMachinePolicy`, {
          role: role.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "InvokeOwnFunctions", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: functionArns },
              {
                // Log delivery for Step Functions is configured through these account-level
                // CloudWatch Logs actions, which accept no narrower resource.
                Sid: "ExecutionLogs",
                Effect: "Allow",
                Action: [
                  "logs:CreateLogDelivery",
                  "logs:GetLogDelivery",
                  "logs:UpdateLogDelivery",
                  "logs:DeleteLogDelivery",
                  "logs:ListLogDeliveries",
                  "logs:PutResourcePolicy",
                  "logs:DescribeResourcePolicies",
                  "logs:DescribeLogGroups",
                ],
                Resource: ["*"],
              },
              {
                Sid: "Traces",
                Effect: "Allow",
                Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
                Resource: ["*"],
              },
            ],
          }),
        }),
        { parent },
      );
    }

    function createStateMachine() {
      const taskArns = pulumi.all(Object.fromEntries(Object.entries(tasks).map(([task, fn]) => [task, fn.arn])));
      const definition = pulumi.all([taskArns, publisher.arn, args.correlatorFunctionArn]).apply(([arns, publisherArn, correlatorArn]) => {
        // The publisher gives up before its function timeout; this bounds only an answer that never comes.
        const asl = bindWorkflow(workflow, {
          task: (task) => arns[task]!,
          milestone: publisherArn,
          milestoneTimeoutSeconds: functionTimeout + 10,
          ...(correlatorArn ? { wait: correlatorArn } : {}),
        });
        assertValidAsl(context.name, asl);
        return JSON.stringify(asl);
      });
      return new aws.sfn.StateMachine(
        `${name}StateMachine`,
        transform(args.transform?.stateMachine, `${name}StateMachine`, {
          name: names.stateMachine(stack, context.name),
          type: "STANDARD",
          roleArn: role.arn,
          definition,
          loggingConfiguration: {
            ...STATE_MACHINE_LOGS_DEFAULT,
            ...args.stateMachineLogs,
            logDestination: pulumi.interpolate`${logGroup.arn}:*`,
          },
          tracingConfiguration: { enabled: true },
        }),
        { parent, dependsOn: [policy] },
      );
    }

    function createAlarms(alarms: NonNullable<BoundedContextArgs["alarms"]>) {
      const machine = names.stateMachine(stack, context.name);
      const publisherName = names.publisherFunction(stack, context.name);
      const executions = (metricName: "ExecutionsFailed" | "ExecutionsTimedOut", threshold: number, what: string) =>
        metricAlarm(
          `${name}${metricName}Alarm`,
          {
            name: `${machine}-executions-${what.replace(" ", "-")}`,
            alarmDescription: `${threshold} or more executions of ${machine} ${what} in ${alarms.periodMinutes} minutes: find them in the Step Functions console, and redrive them once the cause is fixed.`,
            namespace: "AWS/States",
            metricName,
            dimensions: { StateMachineArn: stateMachine.arn },
            statistic: "Sum",
            threshold,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
          },
          alarms,
          { parent, transform: args.transform?.alarm, counts: true },
        );
      return [
        executions("ExecutionsFailed", alarms.executionsFailed, "failed"),
        executions("ExecutionsTimedOut", alarms.executionsTimedOut, "timed out"),
        metricAlarm(
          `${name}PublisherErrorsAlarm`,
          {
            name: `${publisherName}-errors`,
            alarmDescription: `The ${context.name} milestone publisher failed ${alarms.publisherErrors} or more times in ${alarms.periodMinutes} minutes: the state machine retries, then fails the execution with a named error.`,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: publisherName },
            statistic: "Sum",
            threshold: alarms.publisherErrors,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
          },
          alarms,
          { parent, dependsOn: [publisher], transform: args.transform?.alarm, counts: true },
        ),
      ];
    }
  }
}

/** Throws, listing asl-validator's findings, when a generated definition is not valid ASL. */
export function assertValidAsl(context: string, asl: unknown): void {
  const result = validateAsl(asl);
  if (!result.isValid) {
    throw new StateMachineDefinitionError(
      `The state machine generated for context "${context}" is not valid ASL: ${result.errorsText("; ")}. Fix the states its workflow (defineWorkflow) declares.`,
    );
  }
}
