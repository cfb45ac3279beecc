import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, forTypes, list, REASON, subject } from "../lib/define";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

const alarmActionsSchema: PolicyConfigSchema = {
  properties: {
    okActionRequired: {
      type: "boolean",
      default: true,
      description: "Also require an OK action (CloudWatch.15's okActionRequired), so whoever was paged learns that the alarm cleared.",
    },
    reason: REASON,
  },
};

const retentionSchema: PolicyConfigSchema = {
  properties: {
    minimumDays: {
      type: "integer",
      minimum: 1,
      default: 365,
      description: "The shortest retention a log group may set, in days; never-expire (no retentionInDays, or 0) always passes.",
    },
    reason: REASON,
  },
};

export const cloudwatchPolicies: ResourceValidationPolicy[] = [
  {
    name: "cloudwatch-alarm-actions",
    description:
      "CloudWatch.15 (with okActionRequired), CT.CLOUDWATCH.PR.1: a metric alarm notifies someone when it goes into ALARM (non-empty alarmActions) and, by default, when it returns to OK (non-empty okActions).",
    enforcementLevel: "mandatory",
    configSchema: alarmActionsSchema,
    validateResource: forTypes(ALARM, (props, args, report) => {
      const { okActionRequired } = configOf<{ okActionRequired: boolean }>(args, alarmActionsSchema);
      if (list(props.alarmActions).length === 0) {
        report(`${subject("Metric alarm", args)} notifies no one when it fires; set alarmActions to [<the alarm topic's ARN>].`);
      }
      if (okActionRequired && list(props.okActions).length === 0) {
        report(`${subject("Metric alarm", args)} notifies no one when it clears; set okActions to [<the alarm topic's ARN>].`);
      }
    }),
  },
  {
    name: "cloudwatch-alarm-actions-enabled",
    description: "CloudWatch.17, CT.CLOUDWATCH.PR.4: a metric alarm's actions are activated (actionsEnabled left out or true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(ALARM, (props, args, report) => {
      if (props.actionsEnabled === false) {
        report(`${subject("Metric alarm", args)} has its actions turned off; set actionsEnabled to true (or leave it out).`);
      }
    }),
  },
  {
    name: "cloudwatch-log-retention",
    description:
      "CloudWatch.16, CT.CLOUDWATCH.PR.2: a log group keeps its events at least the configured number of days (default 365); a log group that never expires them passes.",
    enforcementLevel: "mandatory",
    configSchema: retentionSchema,
    validateResource: forTypes(LOG_GROUP, (props, args, report) => {
      const { minimumDays } = configOf<{ minimumDays: number }>(args, retentionSchema);
      const days = props.retentionInDays;
      if (typeof days === "number" && days !== 0 && days < minimumDays) {
        report(`${subject("Log group", args)} keeps events ${days} days, less than the required ${minimumDays}; set retentionInDays to at least ${minimumDays}.`);
      }
    }),
  },
  {
    name: "cloudwatch-log-group-kms",
    description: "CT.CLOUDWATCH.PR.3: a log group is encrypted at rest with an AWS KMS key (kmsKeyId set).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(LOG_GROUP, (props, args, report) => {
      if (!props.kmsKeyId) {
        report(`${subject("Log group", args)} is not encrypted with a KMS key; set kmsKeyId to the ARN of a key whose policy lets logs.<region>.amazonaws.com use it.`);
      }
    }),
  },
];
