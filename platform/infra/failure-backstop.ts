import { EXECUTION_STATUS_CHANGE, FAILED_STATUSES, RECONCILE_EVERY_MINUTES, RECONCILE_FAILURES_INPUT } from "../model/failure-milestone";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmSettings, metricAlarm } from "./alarm";
import { InvalidComponentArgsError } from "./errors";
import { eventRuleName } from "./event-rule-name";
import type { LambdaFunction } from "./function";
import type { PolicyStatement } from "./kafka-iam";
import { type Transform, transform } from "./transform";

// The failure backstop: a context with a failure milestone publishes its failure event for every
// execution that fails, also when no Fail state was reached (an uncaught error, a timeout, an
// abort). Step Functions sends each status change of a standard workflow's execution to the
// default event bus (https://docs.aws.amazon.com/step-functions/latest/dg/eb-events.html); a rule
// hands the failed ones to the context's publisher.
//
// Step Functions hands status changes to EventBridge best effort, which the reconciliation
// schedule covers; from there on nothing may be lost. EventBridge retries a delivery it could not make (a day, 185
// attempts) and then writes the event to the target's dead-letter queue
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). That covers
// delivery only: EventBridge invokes Lambda asynchronously, so a publisher that is invoked and
// fails (Kafka unreachable, an input it cannot read) is retried by Lambda (twice, for up to six
// hours) and then dropped, unless the function has an on-failure destination
// (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html). Both end in
// the same queue, which alarms as soon as it holds a message.
//
// Step Functions delivers its status changes to EventBridge best effort
// (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html): an event may never
// come, and then nothing above runs. So a schedule also invokes the publisher every few minutes
// with RECONCILE_FAILURES_INPUT: it lists the state machine's failed, timed-out and aborted
// executions, describes the recently stopped ones and publishes the failure milestone of each
// whose event is not on the topic yet. Its invocations share the asynchronous retries and the
// on-failure destination above.

export { EXECUTION_STATUS_CHANGE, FAILED_STATUSES, RECONCILE_EVERY_MINUTES, RECONCILE_FAILURES_INPUT };

/** How often the reconciliation runs. */
export const RECONCILE_SCHEDULE = `rate(${RECONCILE_EVERY_MINUTES} minutes)`;

/** How long and how often EventBridge retries delivering to the publisher: its maximums. */
export const FAILURE_DELIVERY_RETRY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;
/** How long and how often Lambda retries the publisher's asynchronous invocation: its maximums. */
export const FAILURE_INVOKE_RETRY = { maximumEventAgeInSeconds: 21_600, maximumRetryAttempts: 2 } as const;
/** SQS's longest retention, 14 days: time to publish by hand what could not be published. */
export const FAILURE_QUEUE_RETENTION_SECONDS = 1_209_600;

/** The event pattern of a context's backstop rule: its own state machine's executions that ended without success. */
export function failureEventPattern(stateMachineArn: string) {
  return {
    source: ["aws.states"],
    "detail-type": [EXECUTION_STATUS_CHANGE],
    detail: { status: [...FAILED_STATUSES], stateMachineArn: [stateMachineArn] },
  };
}

/**
 * What the publisher's role needs for its on-failure destination: send to the queue, and, when the
 * queue is encrypted with the stack key, the two KMS actions a producer of an encrypted queue needs
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 */
export function failureQueueStatements(queueArn: string, kmsKeyArn: string | undefined): PolicyStatement[] {
  return [
    { Sid: "FailureQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn] },
    ...(kmsKeyArn ? [{ Sid: "FailureQueueKey", Effect: "Allow" as const, Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [kmsKeyArn] }] : []),
  ];
}

/**
 * The ARN pattern of a state machine's executions (`arn:<partition>:states:<region>:<account>:execution:<name>:*`),
 * from the state machine's ARN.
 */
export function executionArns(stateMachineArn: string): string {
  const match = /^arn:([^:]+):states:([^:]+):(\d{12}):stateMachine:([^:]+)$/.exec(stateMachineArn);
  if (!match) {
    throw new InvalidComponentArgsError(`"${stateMachineArn}" is not a state machine ARN; expected arn:<partition>:states:<region>:<account>:stateMachine:<name>.`);
  }
  const [, partition, region, account, name] = match;
  return `arn:${partition}:states:${region}:${account}:execution:${name}:*`;
}

/**
 * What the publisher's role needs to reconcile: list the state machine's executions by status
 * (ListExecutions, on the stateMachine resource) and describe one (DescribeExecution, on the
 * execution resource), both of this state machine only
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 */
export function reconcileStatements(stateMachineArn: string): PolicyStatement[] {
  return [
    { Sid: "ListFailedExecutions", Effect: "Allow", Action: ["states:ListExecutions"], Resource: [stateMachineArn] },
    { Sid: "DescribeFailedExecutions", Effect: "Allow", Action: ["states:DescribeExecution"], Resource: [executionArns(stateMachineArn)] },
  ];
}

/** Edits of what the backstop creates, by resource (its alarm takes the context's `alarm` transform). */
export interface FailureBackstopTransform {
  queue?: Transform<aws.sqs.QueueArgs>;
  queuePolicy?: Transform<aws.sqs.QueuePolicyArgs>;
  rule?: Transform<aws.cloudwatch.EventRuleArgs>;
  target?: Transform<aws.cloudwatch.EventTargetArgs>;
  permission?: Transform<aws.lambda.PermissionArgs>;
  invokeConfig?: Transform<aws.lambda.FunctionEventInvokeConfigArgs>;
  reconcileSchedule?: Transform<aws.cloudwatch.EventRuleArgs>;
  reconcileTarget?: Transform<aws.cloudwatch.EventTargetArgs>;
  reconcilePermission?: Transform<aws.lambda.PermissionArgs>;
}

/**
 * The backstop's dead-letter queue, created before the publisher (its role names the queue):
 * encrypted with the stack key when there is one (the key's policy must let EventBridge use it,
 * {@link StackKey}'s `eventBridgeQueues`), else with SQS's own key.
 */
export function createFailureQueue(
  name: string,
  args: { queueName: string; kmsKeyArn: pulumi.Input<string> | undefined; transform: Transform<aws.sqs.QueueArgs> | undefined },
  parent: pulumi.Resource,
): aws.sqs.Queue {
  const id = `${name}FailureQueue`;
  return new aws.sqs.Queue(
    id,
    transform(args.transform, id, {
      name: args.queueName,
      messageRetentionSeconds: FAILURE_QUEUE_RETENTION_SECONDS,
      ...(args.kmsKeyArn ? { kmsMasterKeyId: args.kmsKeyArn } : { sqsManagedSseEnabled: true }),
    }),
    { parent },
  );
}

export interface FailureBackstopArgs {
  /** The context's state machine name (`<stack>-<context>`): names the rule and the alarm. */
  stateMachineName: string;
  stateMachineArn: pulumi.Input<string>;
  /** The event the backstop publishes, for the words of the alarm. */
  eventType: string;
  publisher: LambdaFunction;
  queue: aws.sqs.Queue;
  /** The stack's alarm settings; without them, no alarm. */
  alarms: Pick<AlarmSettings, "actions" | "periodMinutes" | "evaluationPeriods"> | undefined;
}

export interface FailureBackstopNodes {
  queue: aws.sqs.Queue;
  queuePolicy: aws.sqs.QueuePolicy;
  rule: aws.cloudwatch.EventRule;
  target: aws.cloudwatch.EventTarget;
  permission: aws.lambda.Permission;
  invokeConfig: aws.lambda.FunctionEventInvokeConfig;
  reconcileSchedule: aws.cloudwatch.EventRule;
  reconcileTarget: aws.cloudwatch.EventTarget;
  reconcilePermission: aws.lambda.Permission;
  alarm: aws.cloudwatch.MetricAlarm | undefined;
}

/**
 * The rest of the backstop, once the state machine exists: the rule on the default event bus for
 * this state machine's failed, timed-out and aborted executions, its target (the publisher, with
 * EventBridge's longest retries and the dead-letter queue), the permission for this rule alone to
 * invoke the publisher, the publisher's asynchronous retries and on-failure destination (the same
 * queue), the queue's policy (this rule may send to it, over TLS only), an alarm on any message
 * in the queue, and the reconciliation's schedule (every {@link RECONCILE_EVERY_MINUTES} minutes,
 * the publisher with {@link RECONCILE_FAILURES_INPUT}) with the permission for it alone to invoke
 * the publisher. The publisher's environment and role for it are the context's
 * ({@link reconcileStatements}).
 */
export function createFailureBackstop(
  name: string,
  args: FailureBackstopArgs,
  edit: Omit<FailureBackstopTransform, "queue"> & { alarm?: Transform<aws.cloudwatch.MetricAlarmArgs> },
  parent: pulumi.Resource,
): FailureBackstopNodes {
  const { publisher, queue } = args;

  const ruleId = `${name}FailureRule`;
  const rule = new aws.cloudwatch.EventRule(
    ruleId,
    transform(edit.rule, ruleId, {
      name: eventRuleName(`${args.stateMachineName}-failed`),
      description: `Executions of ${args.stateMachineName} that failed, timed out or were aborted: its publisher publishes ${args.eventType} for each.`,
      eventPattern: pulumi.output(args.stateMachineArn).apply((arn) => JSON.stringify(failureEventPattern(arn))),
    }),
    { parent },
  );

  const policyId = `${name}FailureQueuePolicy`;
  const queuePolicy = new aws.sqs.QueuePolicy(
    policyId,
    transform(edit.queuePolicy, policyId, {
      queueUrl: queue.url,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeRuleOfThisContext",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
          },
          { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queue.arn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
    }),
    { parent },
  );

  const permissionId = `${name}FailurePermission`;
  const permission = new aws.lambda.Permission(
    permissionId,
    transform(edit.permission, permissionId, {
      action: "lambda:InvokeFunction",
      function: publisher.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    }),
    { parent },
  );

  const targetId = `${name}FailureTarget`;
  const target = new aws.cloudwatch.EventTarget(
    targetId,
    transform(edit.target, targetId, {
      rule: rule.name,
      arn: publisher.arn,
      retryPolicy: { ...FAILURE_DELIVERY_RETRY },
      deadLetterConfig: { arn: queue.arn },
    }),
    // A delivery refused for want of the permission, or of the queue's policy, would go straight to the queue, or be lost.
    { parent, dependsOn: [permission, queuePolicy] },
  );

  const invokeConfigId = `${name}FailureInvokeConfig`;
  const invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
    invokeConfigId,
    transform(edit.invokeConfig, invokeConfigId, {
      functionName: publisher.name,
      ...FAILURE_INVOKE_RETRY,
      destinationConfig: { onFailure: { destination: queue.arn } },
    }),
    // Lambda checks that the function's role may send to the destination.
    { parent, dependsOn: [publisher.nodes.policy] },
  );

  const reconcileId = `${name}FailureReconcileSchedule`;
  const reconcileSchedule = new aws.cloudwatch.EventRule(
    reconcileId,
    transform(edit.reconcileSchedule, reconcileId, {
      name: eventRuleName(`${args.stateMachineName}-reconcile`),
      description: `Every ${RECONCILE_EVERY_MINUTES} minutes: the publisher of ${args.stateMachineName} publishes ${args.eventType} for each recently failed, timed-out or aborted execution whose event is not on the topic yet (status changes reach EventBridge best effort).`,
      scheduleExpression: RECONCILE_SCHEDULE,
    }),
    { parent },
  );

  const reconcilePermissionId = `${name}FailureReconcilePermission`;
  const reconcilePermission = new aws.lambda.Permission(
    reconcilePermissionId,
    transform(edit.reconcilePermission, reconcilePermissionId, {
      action: "lambda:InvokeFunction",
      function: publisher.name,
      principal: "events.amazonaws.com",
      sourceArn: reconcileSchedule.arn,
    }),
    { parent },
  );

  const reconcileTargetId = `${name}FailureReconcileTarget`;
  const reconcileTarget = new aws.cloudwatch.EventTarget(
    reconcileTargetId,
    transform(edit.reconcileTarget, reconcileTargetId, { rule: reconcileSchedule.name, arn: publisher.arn, input: JSON.stringify(RECONCILE_FAILURES_INPUT) }),
    // No retry policy or dead-letter queue of its own: a missed run is made up by the next ones.
    { parent, dependsOn: [reconcilePermission] },
  );

  const alarm = args.alarms
    ? metricAlarm(
        `${name}FailureQueueAlarm`,
        {
          name: `${args.stateMachineName}-failure-undelivered`,
          alarmDescription: `${args.eventType} could not be published for a failed execution of ${args.stateMachineName}: each message in its queue holds the execution's status change (from EventBridge) or the publisher's failed invocation (from Lambda). Fix the cause, then publish the event from the execution's input. A failed invocation with ${JSON.stringify(RECONCILE_FAILURES_INPUT)} is a reconciliation that did not run: check the executions that failed around its time.`,
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queue.name },
          statistic: "Maximum",
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
        },
        args.alarms,
        { parent, transform: edit.alarm, counts: true },
      )
    : undefined;

  return { queue, queuePolicy, rule, target, permission, invokeConfig, reconcileSchedule, reconcileTarget, reconcilePermission, alarm };
}
