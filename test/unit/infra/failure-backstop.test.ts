import * as pulumi from "@pulumi/pulumi";
import { eventRuleName } from "../../../platform/infra/event-rule-name";
import {
  createFailureQueue,
  EXECUTION_STATUS_CHANGE,
  executionArns,
  FAILED_STATUSES,
  failureEventPattern,
  failureQueueStatements,
  RECONCILE_EVERY_MINUTES,
  RECONCILE_FAILURES_INPUT,
  reconcileStatements,
} from "../../../platform/infra/failure-backstop";
import { EXECUTION_STATUS_CHANGE as RUNTIME_EXECUTION_STATUS_CHANGE, FAILED_STATUSES as RUNTIME_FAILED_STATUSES } from "../../../platform/runtime/failure-backstop";
import { type PulumiMocks, recordResources } from "../../support/pulumi-mocks";
import { deploy, QUEUE_URL, withEverything, withNeither } from "./invariant-topology";

jest.mock("../../../platform/infra/bundle", () => jest.requireActual<typeof import("./bundle-stub")>("./bundle-stub").stubbedBundleModule());

const MACHINE_ARN = "arn:aws:sfn:eu-west-1:123456789012:stateMachine/EnsembleBillingStateMachine";
const RULE_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:eventRule/EnsembleBillingFailureRule";
const QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:queue/EnsembleBillingFailureQueue";
const PUBLISHER_ARN = "arn:aws:lambda:eu-west-1:123456789012:function/EnsembleBillingPublisherFunction";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/EnsembleKeyKey";
const ALARM_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:topic/EnsembleAlarmsTopic";
/** billing's state machine by name (`<stack>-<context>`), as the publisher knows it: not the state machine's output. */
const MACHINE_ARN_BY_NAME = "arn:aws:states:eu-west-1:123456789012:stateMachine:dev-billing";
const RECONCILE_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:eventRule/EnsembleBillingFailureReconcileSchedule";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: unknown;
}
const statementsOf = (mocks: PulumiMocks, name: string): Statement[] => JSON.parse(mocks.named(name).inputs.policy as string).Statement;

// billing declares a failure milestone (InvoiceFailed); sales does not.
describe("the failure backstop of a context with a failure milestone, under Pulumi's mocks", () => {
  let mocks: PulumiMocks;

  beforeAll(async () => {
    mocks = await deploy(withEverything);
  });

  it("hands its own state machine's failed, timed-out and aborted executions to its publisher, from the default event bus", () => {
    const rule = mocks.named("EnsembleBillingFailureRule").inputs;
    expect(rule).toMatchObject({ name: "dev-billing-failed", tags: { owner: "billing" } });
    expect(rule.eventBusName).toBeUndefined();
    expect(JSON.parse(rule.eventPattern as string)).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [MACHINE_ARN] },
    });
  });

  it("retries a delivery for a day, 185 times, then puts it in a dead-letter queue encrypted with the stack's key", () => {
    expect(mocks.named("EnsembleBillingFailureTarget").inputs).toEqual({
      rule: "dev-billing-failed",
      arn: PUBLISHER_ARN,
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: QUEUE_ARN },
    });
    expect(mocks.named("EnsembleBillingFailureQueue").inputs).toEqual({
      name: "dev-billing-failure-dlq",
      messageRetentionSeconds: 1_209_600,
      kmsMasterKeyId: KEY_ARN,
      tags: { owner: "billing" },
    });
  });

  it("lets only this rule invoke the publisher, and send to the queue, and only over TLS", () => {
    expect(mocks.named("EnsembleBillingFailurePermission").inputs).toEqual({
      action: "lambda:InvokeFunction",
      function: "dev-billing-publisher",
      principal: "events.amazonaws.com",
      sourceArn: RULE_ARN,
    });
    expect(mocks.named("EnsembleBillingFailureQueuePolicy").inputs.queueUrl).toBe(QUEUE_URL("dev-billing-failure-dlq"));
    expect(statementsOf(mocks, "EnsembleBillingFailureQueuePolicy")).toEqual([
      {
        Sid: "EventBridgeRuleOfThisContext",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: QUEUE_ARN,
        Condition: { ArnEquals: { "aws:SourceArn": RULE_ARN } },
      },
      { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: QUEUE_ARN, Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ]);
  });

  it("lets EventBridge encrypt for the queue with the stack's key", () => {
    expect(statementsOf(mocks, "EnsembleKeyKey").find((s) => s.Sid === "EventBridgeToEncryptedQueues")).toEqual({
      Sid: "EventBridgeToEncryptedQueues",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
    });
  });

  it("keeps what the publisher was invoked with and failed to publish: Lambda's longest retries, then the same queue, which the publisher's role alone may send to", () => {
    expect(mocks.named("EnsembleBillingFailureInvokeConfig").inputs).toEqual({
      functionName: "dev-billing-publisher",
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21_600,
      destinationConfig: { onFailure: { destination: QUEUE_ARN } },
    });
    const added = statementsOf(mocks, "EnsembleBillingPublisherPolicy").filter((s) => [s.Action].flat().some((a) => a.startsWith("sqs:") || a.startsWith("kms:")));
    expect(added).toEqual([
      { Sid: "FailureQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [QUEUE_ARN] },
      { Sid: "FailureQueueKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [KEY_ARN] },
    ]);
    const others = mocks
      .byType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.name !== "EnsembleBillingPublisherPolicy")
      .flatMap((p) => (JSON.parse(p.inputs.policy as string).Statement as Statement[]).flatMap((s) => [s.Action].flat()))
      .filter((a) => a.startsWith("sqs:") || a.startsWith("kms:"));
    expect(others).toEqual([]);
  });

  it("alarms as soon as the queue holds a message, telling the alarm topic when it fires and when it clears, and shows the alarm with the stack's", () => {
    expect(mocks.named("EnsembleBillingFailureQueueAlarm").inputs).toMatchObject({
      name: "dev-billing-failure-undelivered",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "dev-billing-failure-dlq" },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: [ALARM_TOPIC_ARN],
      okActions: [ALARM_TOPIC_ARN],
    });
    const body = JSON.parse(mocks.byType("aws:cloudwatch/dashboard:Dashboard")[0]!.inputs.dashboardBody as string);
    const listed = body.widgets.filter((w: { type: string }) => w.type === "alarm").flatMap((w: { properties: { alarms: string[] } }) => w.properties.alarms);
    expect(listed).toContain("arn:aws:cloudwatch:eu-west-1:123456789012:metricAlarm/EnsembleBillingFailureQueueAlarm");
  });

  it("invokes the publisher every 5 minutes to reconcile the failed executions whose status change never came, from a schedule that alone may invoke it so", () => {
    expect(mocks.named("EnsembleBillingFailureReconcileSchedule").inputs).toMatchObject({ name: "dev-billing-reconcile", scheduleExpression: "rate(5 minutes)", tags: { owner: "billing" } });
    expect(mocks.named("EnsembleBillingFailureReconcileSchedule").inputs.eventPattern).toBeUndefined();
    expect(mocks.named("EnsembleBillingFailureReconcileTarget").inputs).toEqual({ rule: "dev-billing-reconcile", arn: PUBLISHER_ARN, input: '{"ensemble":"reconcile-failures"}' });
    expect(mocks.named("EnsembleBillingFailureReconcilePermission").inputs).toEqual({
      action: "lambda:InvokeFunction",
      function: "dev-billing-publisher",
      principal: "events.amazonaws.com",
      sourceArn: RECONCILE_ARN,
    });
  });

  it("tells the publisher its state machine by name, and lets it list that state machine's executions and describe them, nothing else in Step Functions", () => {
    expect(mocks.named("EnsembleBillingPublisherFunction").inputs.environment.variables).toMatchObject({ ENSEMBLE_STATE_MACHINE_ARN: MACHINE_ARN_BY_NAME });
    const states = statementsOf(mocks, "EnsembleBillingPublisherPolicy").filter((s) => [s.Action].flat().some((a) => a.startsWith("states:")));
    expect(states).toEqual([
      { Sid: "ListFailedExecutions", Effect: "Allow", Action: ["states:ListExecutions"], Resource: ["arn:aws:states:eu-west-1:123456789012:stateMachine:dev-billing"] },
      { Sid: "DescribeFailedExecutions", Effect: "Allow", Action: ["states:DescribeExecution"], Resource: ["arn:aws:states:eu-west-1:123456789012:execution:dev-billing:*"] },
    ]);
    const others = mocks
      .byType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.name !== "EnsembleBillingPublisherPolicy")
      .flatMap((p) => (JSON.parse(p.inputs.policy as string).Statement as Statement[]).flatMap((s) => [s.Action].flat()))
      .filter((a) => a === "states:ListExecutions" || a === "states:DescribeExecution");
    expect(others).toEqual([]);
  });

  it("gives a context without a failure milestone none of it", () => {
    expect(mocks.resources.map((r) => r.name).filter((name) => name.startsWith("EnsembleSalesFailure"))).toEqual([]);
    expect(statementsOf(mocks, "EnsembleSalesPublisherPolicy").flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith("sqs:") || a.startsWith("kms:") || a.startsWith("states:"))).toEqual([]);
    expect(mocks.named("EnsembleSalesPublisherFunction").inputs.environment.variables).not.toHaveProperty("ENSEMBLE_STATE_MACHINE_ARN");
    expect(mocks.byType("aws:cloudwatch/eventRule:EventRule").map((r) => r.inputs.name)).not.toContain("dev-sales-reconcile");
  });
});

describe("a topology whose contexts declare no failure milestone, under Pulumi's mocks", () => {
  it("has no rule, schedule, queue, permission, asynchronous invocation config or queue alarm, no reconciliation, and keeps EventBridge off the stack's key", async () => {
    const mocks = await deploy(withNeither);
    for (const fn of mocks.byType("aws:lambda/function:Function")) expect(fn.inputs.environment.variables).not.toHaveProperty("ENSEMBLE_STATE_MACHINE_ARN");
    const states = mocks.byType("aws:iam/rolePolicy:RolePolicy").flatMap((p) => (JSON.parse(p.inputs.policy as string).Statement as Statement[]).flatMap((s) => [s.Action].flat()));
    expect(states.filter((a) => a === "states:ListExecutions" || a === "states:DescribeExecution")).toEqual([]);
    for (const type of ["aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget", "aws:lambda/permission:Permission", "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"]) {
      expect({ type, count: mocks.byType(type).length }).toEqual({ type, count: 0 });
    }
    expect(mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/SQS")).toEqual([]);
    expect(statementsOf(mocks, "EnsembleKeyKey").map((s) => s.Sid)).not.toContain("EventBridgeToEncryptedQueues");
  });
});

describe("the failure backstop's queue without a stack key", () => {
  it("is encrypted with SQS's own key", async () => {
    // Prepare
    const mocks = recordResources({ stack: "dev" });
    const parent = new pulumi.ComponentResource("test:index:Parent", "Parent");

    // Act
    createFailureQueue("Billing", { queueName: "dev-billing-failure-dlq", kmsKeyArn: undefined, transform: undefined }, parent);
    await mocks.settled();

    // Assess
    expect(mocks.named("BillingFailureQueue").inputs).toEqual({ name: "dev-billing-failure-dlq", messageRetentionSeconds: 1_209_600, sqsManagedSseEnabled: true });
  });
});

describe("failureEventPattern and failureQueueStatements", () => {
  it("match the one state machine's executions that ended without success", () => {
    expect(failureEventPattern("arn:aws:states:eu-west-1:123456789012:stateMachine:dev-billing").detail.stateMachineArn).toEqual(["arn:aws:states:eu-west-1:123456789012:stateMachine:dev-billing"]);
  });

  it("grant listing one state machine's executions and describing those executions, in any partition", () => {
    expect(reconcileStatements("arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:prod-billing")).toEqual([
      { Sid: "ListFailedExecutions", Effect: "Allow", Action: ["states:ListExecutions"], Resource: ["arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:prod-billing"] },
      { Sid: "DescribeFailedExecutions", Effect: "Allow", Action: ["states:DescribeExecution"], Resource: ["arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:prod-billing:*"] },
    ]);
    expect(() => executionArns("arn:aws:sfn:eu-west-1:123456789012:stateMachine/dev-billing")).toThrow(
      '"arn:aws:sfn:eu-west-1:123456789012:stateMachine/dev-billing" is not a state machine ARN; expected arn:<partition>:states:<region>:<account>:stateMachine:<name>.',
    );
  });

  it("grant KMS only when the queue has a key of the stack's", () => {
    expect(failureQueueStatements("arn:aws:sqs:eu-west-1:123456789012:q", undefined)).toEqual([{ Sid: "FailureQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["arn:aws:sqs:eu-west-1:123456789012:q"] }]);
  });
});

describe("eventRuleName", () => {
  it("refuses, before anything is created, a name longer than EventBridge's 64 characters", () => {
    expect(eventRuleName(`${"a".repeat(57)}-failed`)).toHaveLength(64);
    expect(() => eventRuleName(`${"a".repeat(58)}-failed`)).toThrow('EventBridge rule name "' + "a".repeat(58) + '-failed" has 65 characters, more than AWS\'s 64');
  });
});

describe("what infra and the runtime must agree on", () => {
  it("matches exactly the EventBridge events the publisher's backstop handles", () => {
    expect(EXECUTION_STATUS_CHANGE).toBe(RUNTIME_EXECUTION_STATUS_CHANGE);
    expect([...FAILED_STATUSES]).toEqual([...RUNTIME_FAILED_STATUSES]);
  });

  it("invokes the publisher for its reconciliation with the input the model defines, as often", () => {
    expect(RECONCILE_FAILURES_INPUT).toEqual({ ensemble: "reconcile-failures" });
    expect(RECONCILE_EVERY_MINUTES).toBe(5);
  });
});
