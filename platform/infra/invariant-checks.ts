import { VIOLATION_LOG_MESSAGE } from "../model/invariant";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { InvariantDefinition } from "../model";
import { ALARM_METRICS_MAX, type AlarmSettings, inRunsOf, metricAlarm, metricQuery } from "./alarm";
import { eventRuleName } from "./event-rule-name";
import type { LambdaFunction } from "./function";
import { metricNamespace } from "./metric-namespace";
import { type Transform, transform } from "./transform";

export { VIOLATION_LOG_MESSAGE };

/** The metric those log lines are counted as, in the stack's namespace, per invariant (dimension `Invariant`). */
export const INVARIANT_VIOLATIONS_METRIC = "InvariantViolations";

/** How often the sweep runs: a bound is reported missing at most this late (plus the sweep's own run). */
export const INVARIANT_SWEEP_SCHEDULE = "rate(1 minute)";

export { invariantKeepSeconds } from "../model/invariant";

/** Edits of what {@link createInvariantChecks} creates, by resource. */
export interface InvariantChecksTransform {
  schedule?: Transform<aws.cloudwatch.EventRuleArgs>;
  scheduleTarget?: Transform<aws.cloudwatch.EventTargetArgs>;
  schedulePermission?: Transform<aws.lambda.PermissionArgs>;
  violationsMetric?: Transform<aws.cloudwatch.LogMetricFilterArgs>;
  /** Each violations alarm (one per 10 invariants it reads). */
  violationsAlarm?: Transform<aws.cloudwatch.MetricAlarmArgs>;
}

export interface InvariantChecksArgs {
  stack: string;
  /** The invariants group's function name (`<stack>-invariants`): names the schedule, metric filter and alarm. */
  functionName: string;
  /** The invariants the group checks (`plan.consumer.checks`): one metric each on the alarm. */
  invariants: readonly InvariantDefinition[];
  /** The group's function: the schedule's target, and its log group the metric filter's source. */
  fn: LambdaFunction;
  violationTopic: string;
  alarms: Pick<AlarmSettings, "actions" | "evaluationPeriods">;
  /** What the sweep needs to exist first: the topics (it writes the violations topic). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  transform?: InvariantChecksTransform;
}

export interface InvariantChecksNodes {
  schedule: aws.cloudwatch.EventRule;
  scheduleTarget: aws.cloudwatch.EventTarget;
  schedulePermission: aws.lambda.Permission;
  violationsMetric: aws.cloudwatch.LogMetricFilter;
  violationsAlarms: aws.cloudwatch.MetricAlarm[];
}

/**
 * What the invariants group needs besides a group's usual resources and its table: a clock, and
 * an alarm on what it finds.
 *
 * - A schedule (EventBridge, every minute) invoking the group's function, which then sweeps the
 *   table's `due` index for keys whose bound passed without the expected event. Events alone
 *   cannot tell that something did not happen, and DynamoDB TTL deletes expired items late (within
 *   days) and invokes nothing, so a time bound needs a clock of its own.
 * - A metric filter counting the handler's "invariant violated" log lines per invariant, and an
 *   alarm on any of them in a minute, notifying the stack's topics when it fires and when it clears.
 */
export function createInvariantChecks(name: string, args: InvariantChecksArgs, parent: pulumi.Resource): InvariantChecksNodes {
  const { fn, functionName } = args;
  const edit = args.transform ?? {};

  const scheduleId = `${name}Schedule`;
  const schedule = new aws.cloudwatch.EventRule(
    scheduleId,
    transform(edit.schedule, scheduleId, {
      name: eventRuleName(`${functionName}-sweep`),
      description: `Every minute: ${functionName} reports the invariants whose time bound passed without the expected event.`,
      scheduleExpression: INVARIANT_SWEEP_SCHEDULE,
    }),
    { parent },
  );

  const permissionId = `${name}SchedulePermission`;
  const schedulePermission = new aws.lambda.Permission(
    permissionId,
    transform(edit.schedulePermission, permissionId, {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "events.amazonaws.com",
      sourceArn: schedule.arn,
    }),
    { parent },
  );

  const targetId = `${name}ScheduleTarget`;
  const scheduleTarget = new aws.cloudwatch.EventTarget(
    targetId,
    transform(edit.scheduleTarget, targetId, { rule: schedule.name, arn: fn.arn }),
    // A sweep before the permission or the violations topic exists would fail (the next minute sweeps anyway).
    { parent, dependsOn: [schedulePermission, ...(args.dependsOn ?? [])] },
  );

  const metricId = `${name}ViolationsMetric`;
  const violationsMetric = new aws.cloudwatch.LogMetricFilter(
    metricId,
    transform(edit.violationsMetric, metricId, {
      name: `${functionName}-violations`,
      logGroupName: fn.nodes.logGroup.name,
      pattern: `{ $.message = "${VIOLATION_LOG_MESSAGE}" }`,
      metricTransformation: { namespace: metricNamespace(args.stack), name: INVARIANT_VIOLATIONS_METRIC, value: "1", unit: "Count", dimensions: { Invariant: "$.invariant" } },
    }),
    { parent },
  );

  // A metric-math alarm reads at most 10 metrics: one per invariant, so 10 invariants per alarm.
  const queries = args.invariants.map((invariant, index) => metricQuery(`invariant${index}`, metricNamespace(args.stack), INVARIANT_VIOLATIONS_METRIC, { Invariant: invariant.name }, "Sum", 1));
  const violationsAlarms = inRunsOf(queries, ALARM_METRICS_MAX).map((run, index) => {
    const suffix = index === 0 ? "" : `${index + 1}`;
    const checked = args.invariants.slice(index * ALARM_METRICS_MAX, (index + 1) * ALARM_METRICS_MAX).map((invariant) => invariant.name);
    return metricAlarm(
      `${name}ViolationsAlarm${suffix}`,
      {
        name: `${functionName}-violations${suffix ? `-${suffix}` : ""}`,
        alarmDescription: `An invariant (${checked.join(", ")}) was violated in the last minute: ${functionName}'s log has a "${VIOLATION_LOG_MESSAGE}" line for each (invariant, key, kind, the events seen), and each is on ${args.violationTopic}.`,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        metricQueries: [...run, { id: "violations", expression: run.map((query) => `FILL(${query.id}, 0)`).join(" + "), label: "Invariant violations", returnData: true }],
      },
      { actions: args.alarms.actions, evaluationPeriods: args.alarms.evaluationPeriods, periodMinutes: 1 },
      { parent, transform: edit.violationsAlarm, counts: true },
    );
  });

  return { schedule, scheduleTarget, schedulePermission, violationsMetric, violationsAlarms };
}
