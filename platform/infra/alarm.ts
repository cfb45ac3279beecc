import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../model/stack-config";
import { type Transform, transform } from "./transform";

/**
 * Thresholds and timing of a stack's alarms (`ensemble:alarms`, see its schema), and the SNS topics
 * told when one fires and when it clears: the stack's alarm topic and any of `notify.topicArns`.
 */
export type AlarmSettings = Omit<StackConfig["alarms"], "notify"> & { actions: pulumi.Input<string>[] };

/** What every alarm of the stack shares; the caller gives the metric, the threshold and the words. */
export type AlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "period" | "evaluationPeriods" | "datapointsToAlarm" | "treatMissingData">;

/**
 * A CloudWatch alarm that notifies the stack's topics both when it fires and when it clears
 * (Security Hub CloudWatch.15 asks for both), over the stack's period; no data is not a breach.
 *
 * A level (lag, disk) fires after `evaluationPeriods` breaching periods in a row. Something
 * counted (`counts: true`: failed executions, dead letters) fires on the first breaching period
 * and clears after `evaluationPeriods` quiet ones: one failed execution is worth a look, and it
 * would never be followed by two more in a row.
 *
 * @example
 * metricAlarm("OrdersFailedAlarm", { name: "dev-orders-failed", namespace: "AWS/States", metricName: "ExecutionsFailed", ... }, settings, { parent, counts: true });
 */
export function metricAlarm(
  name: string,
  args: AlarmArgs,
  settings: Pick<AlarmSettings, "actions" | "periodMinutes" | "evaluationPeriods">,
  opts: pulumi.CustomResourceOptions & { transform?: Transform<aws.cloudwatch.MetricAlarmArgs>; counts?: boolean },
): aws.cloudwatch.MetricAlarm {
  const { transform: hook, counts, ...resourceOpts } = opts;
  const usesQueries = args.metricQueries !== undefined;
  return new aws.cloudwatch.MetricAlarm(
    name,
    transform(hook, name, {
      ...args,
      // A metric-math alarm takes its period from each query.
      period: usesQueries ? undefined : settings.periodMinutes * 60,
      evaluationPeriods: settings.evaluationPeriods,
      datapointsToAlarm: counts ? 1 : settings.evaluationPeriods,
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

/**
 * Metrics one metric-math alarm may read ("Create a CloudWatch alarm based on a metric math
 * expression", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html):
 * what needs more takes more alarms.
 */
export const ALARM_METRICS_MAX = 10;

/** `items` in runs of at most `size`, in order. */
export function inRunsOf<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}
