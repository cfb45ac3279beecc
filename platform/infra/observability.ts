import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pascal } from "../model";
import { inRunsOf } from "./alarm";
import { INVARIANT_VIOLATIONS_METRIC } from "./invariant-checks";
import { metricNamespace } from "./metric-namespace";
import { type Transform, transform } from "./transform";

export { metricNamespace };

/** What one CloudWatch alarm status widget may list. */
const ALARMS_PER_WIDGET = 100;

/** A consumer group as the dashboard and its dead-letter metric see it. */
export interface ObservedGroup {
  /** The group's name, as in `consumers/`. */
  readonly name: string;
  /** Its function's physical name (`<stack>-<group>`); names the metric filter. */
  readonly functionName: string;
  /** The group's log group, where the wrapper logs each dead-lettered record. */
  readonly logGroupName: pulumi.Input<string>;
}

export interface ObservabilityArgs {
  /**
   * The stack: the dashboard's SEARCH expressions match its function and state machine names,
   * and the dead-letter metrics go to the `Ensemble/<stack>` namespace.
   * @example
   * stack: pulumi.getStack()
   */
  stack: string;
  /**
   * Physical dashboard name.
   * @example
   * dashboardName: "dev-ensemble"
   */
  dashboardName: string;
  /**
   * Groups whose dead-lettered records are counted (one metric filter each).
   * @example
   * groups: [{ name: "notify-customer", functionName: "dev-notify-customer", logGroupName: group.fn.nodes.logGroup.name }]
   */
  groups: readonly ObservedGroup[];
  /**
   * The stack's alarms, shown with their state at the top of the dashboard.
   * @default none
   * @example
   * alarmArns: [group.nodes.lagAlarm.arn, context.nodes.alarms[0].arn]
   */
  alarmArns?: pulumi.Input<string>[];
  /**
   * Show the invariants group's violations, per invariant (a stack whose topology declares invariants).
   * @default false
   * @example
   * invariantViolations: true
   */
  invariantViolations?: boolean;
  /**
   * Edits the args of each resource the component creates, before it is created.
   * @default no change
   * @example
   * transform: { dashboard: { dashboardName: "ensemble-overview" } }
   * @example
   * transform: { deadLetterMetric: (args) => { args.pattern = '{ $.level = "ERROR" }'; } }
   */
  transform?: {
    dashboard?: Transform<aws.cloudwatch.DashboardArgs>;
    /** Each group's dead-letter metric filter. */
    deadLetterMetric?: Transform<aws.cloudwatch.LogMetricFilterArgs>;
    /** Each group's filtered-records metric filter. */
    filteredMetric?: Transform<aws.cloudwatch.LogMetricFilterArgs>;
  };
}

/**
 * One CloudWatch dashboard per stack: the state of every alarm of the stack; executions started,
 * failed and timed out per context; invocations, errors and duration per function, publisher
 * errors; offset lag per consumer group and per Kafka group id; broker disk use; dead-letter
 * activity per group, counted from
 * the wrapper's "record dead-lettered" log lines by a metric filter per group, and what each
 * event source mapping itself sent to its dead-letter topic, failed to invoke or dropped. The widgets find
 * the stack's metrics with SEARCH expressions, so a new context or group shows up in them by
 * itself; only the alarm widget lists its alarms by ARN.
 *
 * @example
 * const observability = new Observability("Observability", {
 *   stack: "dev",
 *   dashboardName: "dev-ensemble",
 *   groups: [{ name: "notify-customer", functionName: "dev-notify-customer", logGroupName: group.fn.nodes.logGroup.name }],
 * });
 * observability.dashboardUrl; // the console link `pulumi stack output dashboardUrl` prints
 */
export class Observability extends pulumi.ComponentResource {
  readonly dashboardName: pulumi.Output<string>;
  readonly dashboardUrl: pulumi.Output<string>;
  readonly nodes: { dashboard: aws.cloudwatch.Dashboard; deadLetterMetrics: aws.cloudwatch.LogMetricFilter[]; filteredMetrics: aws.cloudwatch.LogMetricFilter[] };

  constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:Observability", name, {}, opts);
    const parent = this;
    const region = aws.getRegionOutput({}, { parent }).region;

    const deadLetterMetrics = args.groups.map(createDeadLetterMetric);
    const filteredMetrics = args.groups.map(createFilteredMetric);
    const dashboard = createDashboard();

    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard.dashboardName}`;
    this.nodes = { dashboard, deadLetterMetrics, filteredMetrics };
    this.registerOutputs({ dashboardUrl: this.dashboardUrl });

    function createDeadLetterMetric(group: ObservedGroup) {
      const id = `${name}DeadLetters${pascal(group.name)}`;
      return new aws.cloudwatch.LogMetricFilter(
        id,
        transform(args.transform?.deadLetterMetric, id, {
          name: `${group.functionName}-dead-lettered`,
          logGroupName: group.logGroupName,
          pattern: '{ $.message = "record dead-lettered" }',
          metricTransformation: { namespace: metricNamespace(args.stack), name: "DeadLettered", value: "1", unit: "Count", dimensions: { Group: "$.service" } },
        }),
        { parent },
      );
    }

    // What a wrapper skipped (binary-mode events of types the group does not read), from its batch log;
    // what the mapping's filter dropped is the mapping's own FilteredOutEventCount.
    function createFilteredMetric(group: ObservedGroup) {
      const id = `${name}Filtered${pascal(group.name)}`;
      return new aws.cloudwatch.LogMetricFilter(
        id,
        transform(args.transform?.filteredMetric, id, {
          name: `${group.functionName}-filtered`,
          logGroupName: group.logGroupName,
          pattern: '{ $.message = "batch processed" && $.filtered > 0 }',
          metricTransformation: { namespace: metricNamespace(args.stack), name: "Filtered", value: "$.filtered", unit: "Count", dimensions: { Group: "$.service" } },
        }),
        { parent },
      );
    }

    function createDashboard() {
      return new aws.cloudwatch.Dashboard(
        `${name}Dashboard`,
        transform(args.transform?.dashboard, `${name}Dashboard`, {
          dashboardName: args.dashboardName,
          dashboardBody: pulumi
            .all([region, pulumi.all(args.alarmArns ?? [])])
            .apply(([awsRegion, alarmArns]) => JSON.stringify(dashboardBody(awsRegion, args.stack, alarmArns, { invariantViolations: args.invariantViolations ?? false }))),
        }),
        { parent },
      );
    }
  }
}

/**
 * The dashboard's widgets as CloudWatch's dashboard body JSON. Each widget is a SEARCH over the
 * stack's names (`<stack>-...` functions and state machines, the `Ensemble/<stack>` namespace),
 * so it depends only on the stack, never on the topology.
 *
 * The event source mappings' own counts (metrics config `EventCount` and `ErrorCount`,
 * namespace `AWS/Lambda`, dimension `EventSourceMappingUUID`) carry no name to search by, only
 * the mapping's UUID (`pulumi stack output eventSourceMappingUuids`), so those two widgets show
 * every mapping in the account and region; listing this stack's UUIDs instead would change the
 * dashboard whenever a group is added. A stack with invariants gets one more, under the rest:
 * violations per invariant, from the invariants group's metric filter.
 */
export function dashboardBody(region: string, stack: string, alarmArns: readonly string[] = [], options: { invariantViolations?: boolean } = {}) {
  // Alarm widgets list their alarms by ARN, at most 100 each; rows of 4 alarms, 2 units high.
  const alarmRuns = inRunsOf([...alarmArns].sort(), ALARMS_PER_WIDGET);
  const alarmHeight = (run: readonly string[]) => Math.min(2 + 2 * Math.ceil(run.length / 4), 12);
  const alarmsHeight = alarmRuns.reduce((sum, run) => sum + alarmHeight(run), 0);
  const alarmWidgets = alarmRuns.map((run, index) => ({
    type: "alarm",
    x: 0,
    y: alarmRuns.slice(0, index).reduce((sum, before) => sum + alarmHeight(before), 0),
    width: 24,
    height: alarmHeight(run),
    properties: { title: alarmRuns.length === 1 ? "Alarms of this stack" : `Alarms of this stack (${index + 1} of ${alarmRuns.length})`, region, alarms: run, sortBy: "stateUpdatedTimestamp" },
  }));
  const widget = (title: string, stat: string, queries: readonly string[], x: number, row: number) => ({
    type: "metric",
    x,
    y: alarmsHeight + row,
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      view: "timeSeries",
      stacked: false,
      period: 300,
      metrics: queries.map((query, i) => [{ id: `m${i}`, expression: `SEARCH('${query}', '${stat}', 300)`, label: "" }]),
    },
  });
  const perMapping = (metric: string) => `{AWS/Lambda,EventSourceMappingUUID} MetricName="${metric}"`;
  // Dimension values are searched by token: "dev" matches dev-orders but not dev2-orders.
  return {
    widgets: [
      ...alarmWidgets,
      widget("Executions started per context", "Sum", [`{AWS/States,StateMachineArn} MetricName="ExecutionsStarted" ${stack}`], 0, 0),
      widget("Executions failed per context", "Sum", [`{AWS/States,StateMachineArn} MetricName="ExecutionsFailed" ${stack}`], 12, 0),
      widget("Invocations per function", "Sum", [`{AWS/Lambda,FunctionName} MetricName="Invocations" ${stack}`], 0, 6),
      widget("Errors per function", "Sum", [`{AWS/Lambda,FunctionName} MetricName="Errors" ${stack}`], 12, 6),
      widget("Duration per function (p95)", "p95", [`{AWS/Lambda,FunctionName} MetricName="Duration" ${stack}`], 0, 12),
      widget("Offset lag per consumer group (records behind)", "Maximum", [`{AWS/Lambda,FunctionName} MetricName="OffsetLag" ${stack}`], 12, 12),
      widget("Dead-lettered records per group (logged by the handler wrapper)", "Sum", [`{${metricNamespace(stack)},Group} MetricName="DeadLettered"`], 0, 18),
      widget("Records sent to the dead-letter topic per event source mapping (region-wide)", "Sum", [perMapping("OnFailureDestinationDeliveredEventCount")], 12, 18),
      widget(
        "Failed invokes, dropped records, dead-letter delivery errors per mapping (region-wide)",
        "Sum",
        [perMapping("FailedInvokeEventCount"), perMapping("DroppedEventCount"), perMapping("OnFailureDestinationDeliveryErrorCount")],
        0,
        24,
      ),
      widget(
        "Filtered records: by each mapping's filter (region-wide) and by each group's wrapper",
        "Sum",
        [perMapping("FilteredOutEventCount"), `{${metricNamespace(stack)},Group} MetricName="Filtered"`],
        12,
        24,
      ),
      widget("Executions timed out per context", "Sum", [`{AWS/States,StateMachineArn} MetricName="ExecutionsTimedOut" ${stack}`], 0, 30),
      widget("Milestone publisher errors per context", "Sum", [`{AWS/Lambda,FunctionName} MetricName="Errors" ${stack} publisher`], 12, 30),
      widget("Offset lag per Kafka group id (each event source mapping, region-wide)", "Maximum", [perMapping("SumOffsetLag")], 0, 36),
      widget("Broker data volume used, %", "Maximum", [`{AWS/Kafka,"Broker ID","Cluster Name"} MetricName="KafkaDataLogsDiskUsed" ${stack}`], 12, 36),
      ...(options.invariantViolations ? [widget("Invariant violations per invariant", "Sum", [`{${metricNamespace(stack)},Invariant} MetricName="${INVARIANT_VIOLATIONS_METRIC}"`], 0, 42)] : []),
    ],
  };
}
