import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Transform, transform } from "./transform";

/** Thresholds and timing of a stack's alarms, from `ensemble:alarms`, and who hears of them. */
export interface AlarmSettings {
  /** Records behind that raise a lag alarm. */
  offsetLag: number;
  /** Function errors per period that raise a group's error alarm. */
  errors: number;
  /** Records a group dead-letters per period that raise its dead-letter alarm. */
  deadLettered: number;
  /** Failed executions per period that raise a context's alarm. */
  executionsFailed: number;
  /** Timed-out executions per period that raise a context's alarm. */
  executionsTimedOut: number;
  /** Publisher errors per period that raise a context's alarm. */
  publisherErrors: number;
  /** Percent of a broker's data volume in use that raises the disk alarm. */
  brokerDiskPercent: number;
  /** Length of one evaluation period, minutes. */
  periodMinutes: number;
  /** Consecutive breaching periods before an alarm fires. */
  evaluationPeriods: number;
  /**
   * SNS topics told when an alarm fires and when it clears: the stack's alarm topic, and any
   * topic of `ensemble:alarms.notify.topicArns`.
   */
  actions: pulumi.Input<string>[];
}

/** What every alarm of the stack shares; the caller gives the metric, the threshold and the words. */
export type AlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "period" | "evaluationPeriods" | "treatMissingData">;

/**
 * A CloudWatch alarm that notifies the stack's topics both when it fires and when it clears
 * (Security Hub CloudWatch.15 asks for both), over the stack's period; no data is not a breach.
 *
 * @example
 * metricAlarm("OrdersFailedAlarm", { name: "dev-orders-failed", namespace: "AWS/States", metricName: "ExecutionsFailed", ... }, settings, { parent });
 */
export function metricAlarm(
  name: string,
  args: AlarmArgs,
  settings: Pick<AlarmSettings, "actions" | "periodMinutes" | "evaluationPeriods">,
  opts: pulumi.CustomResourceOptions & { transform?: Transform<aws.cloudwatch.MetricAlarmArgs> },
): aws.cloudwatch.MetricAlarm {
  const { transform: hook, ...resourceOpts } = opts;
  const usesQueries = args.metricQueries !== undefined;
  return new aws.cloudwatch.MetricAlarm(
    name,
    transform(hook, name, {
      ...args,
      // A metric-math alarm takes its period from each query.
      period: usesQueries ? undefined : settings.periodMinutes * 60,
      evaluationPeriods: settings.evaluationPeriods,
      treatMissingData: "notBreaching",
      alarmActions: settings.actions,
      okActions: settings.actions,
    }),
    resourceOpts,
  );
}

/** One metric of a metric-math alarm, summed over the stack's period. */
export function metricQuery(id: string, namespace: string, metricName: string, dimensions: Record<string, pulumi.Input<string>>, stat: string, periodMinutes: number) {
  return { id, returnData: false, metric: { namespace, metricName, dimensions, stat, period: periodMinutes * 60 } };
}
