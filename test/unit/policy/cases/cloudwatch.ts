import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:prod-ensemble-alarms";

/** An alarm every CloudWatch policy accepts. */
const alarm: TestResource = {
  type: "aws:cloudwatch/metricAlarm:MetricAlarm",
  name: "OrdersFailedAlarm",
  inputs: {
    namespace: "AWS/States",
    metricName: "ExecutionsFailed",
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    evaluationPeriods: 1,
    threshold: 1,
    alarmActions: [TOPIC],
    okActions: [TOPIC],
  },
};

/** A log group every CloudWatch policy accepts in prod. */
const logGroup: TestResource = {
  type: "aws:cloudwatch/logGroup:LogGroup",
  name: "OrdersLogs",
  inputs: { name: "/ensemble/prod/orders", retentionInDays: 365, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
};

export const cloudwatchCases: PolicyCase[] = [
  { policy: "cloudwatch-alarm-actions", title: "passes with ALARM and OK actions", resources: [alarm] },
  {
    policy: "cloudwatch-alarm-actions",
    title: "fails without an ALARM action",
    resources: [variant(alarm, { alarmActions: [] })],
    fails: 'Metric alarm "OrdersFailedAlarm" notifies no one when it fires; set alarmActions',
  },
  {
    policy: "cloudwatch-alarm-actions",
    title: "fails without an OK action",
    resources: [variant(alarm, { okActions: undefined })],
    fails: 'Metric alarm "OrdersFailedAlarm" notifies no one when it clears; set okActions',
  },
  { policy: "cloudwatch-alarm-actions-enabled", title: "passes with actionsEnabled left out", resources: [alarm] },
  { policy: "cloudwatch-alarm-actions-enabled", title: "passes with actionsEnabled true", resources: [variant(alarm, { actionsEnabled: true })] },
  {
    policy: "cloudwatch-alarm-actions-enabled",
    title: "fails with actions turned off",
    resources: [variant(alarm, { actionsEnabled: false })],
    fails: "has its actions turned off; set actionsEnabled to true",
  },
  { policy: "cloudwatch-log-retention", title: "passes at 365 days in prod", resources: [logGroup] },
  { policy: "cloudwatch-log-retention", title: "passes when events never expire", resources: [variant(logGroup, { retentionInDays: undefined })] },
  { policy: "cloudwatch-log-retention", title: "passes at 0 (never expire)", resources: [variant(logGroup, { retentionInDays: 0 })] },
  {
    policy: "cloudwatch-log-retention",
    title: "fails at 90 days in prod",
    resources: [variant(logGroup, { retentionInDays: 90 })],
    fails: 'Log group "OrdersLogs" keeps events 90 days, less than the required 365; set retentionInDays to at least 365',
  },
  { policy: "cloudwatch-log-retention", title: "passes at 7 days in dev (exception)", stack: "dev", resources: [variant(logGroup, { retentionInDays: 7 })] },
  { policy: "cloudwatch-log-retention", title: "fails at 3 days in dev", stack: "dev", resources: [variant(logGroup, { retentionInDays: 3 })], fails: "less than the required 7" },
  { policy: "cloudwatch-log-group-kms", title: "passes with a KMS key", resources: [logGroup] },
  {
    policy: "cloudwatch-log-group-kms",
    title: "fails without a KMS key",
    resources: [variant(logGroup, { kmsKeyId: undefined })],
    fails: 'Log group "OrdersLogs" is not encrypted with a KMS key; set kmsKeyId',
  },
];
