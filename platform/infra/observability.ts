import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Transform, transform } from "./transform";

/** Namespace of the metrics a stack derives from its consumer groups' logs. */
export const metricNamespace = (stack: string) => `Ensemble/${stack}`;

export interface ObservedGroup {
  readonly name: string;
  readonly functionName: string;
  /** The group's log group, where the wrapper logs each dead-lettered record. */
  readonly logGroupName: pulumi.Input<string>;
}

export interface ObservabilityArgs {
  stack: string;
  /** Physical dashboard name; the caller passes `<stack>-ensemble`. */
  dashboardName: string;
  /** Groups whose dead-lettered records are counted (one metric filter each). */
  groups: readonly ObservedGroup[];
  transform?: {
    dashboard?: Transform<aws.cloudwatch.DashboardArgs>;
    deadLetterMetric?: Transform<aws.cloudwatch.LogMetricFilterArgs>;
  };
}

/**
 * One CloudWatch dashboard per stack: executions per context; invocations, errors and duration
 * per function and offset lag per consumer group; dead-letter activity per group, counted from
 * the wrapper's "record dead-lettered" log lines by a metric filter per group. The widgets find
 * the stack's metrics with SEARCH expressions, so the dashboard does not change when a context
 * or a group is added: adding a group only adds its own resources.
 *
 * @example
 * new Observability("Observability", { stack: "dev", dashboardName: "dev-ensemble", groups });
 */
export class Observability extends pulumi.ComponentResource {
  readonly dashboardName: pulumi.Output<string>;
  readonly dashboardUrl: pulumi.Output<string>;
  readonly nodes: { dashboard: aws.cloudwatch.Dashboard; deadLetterMetrics: aws.cloudwatch.LogMetricFilter[] };

  constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("ensemble:infra:Observability", name, {}, opts);
    const parent = this;
    const region = aws.getRegionOutput({}, { parent }).region;

    const deadLetterMetrics = args.groups.map(createDeadLetterMetric);
    const dashboard = createDashboard();

    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard.dashboardName}`;
    this.nodes = { dashboard, deadLetterMetrics };
    this.registerOutputs({ dashboardUrl: this.dashboardUrl });

    function createDeadLetterMetric(group: ObservedGroup) {
      const id = `${name}DeadLetters${group.name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`;
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

    function createDashboard() {
      return new aws.cloudwatch.Dashboard(
        `${name}Dashboard`,
        transform(args.transform?.dashboard, `${name}Dashboard`, {
          dashboardName: args.dashboardName,
          dashboardBody: region.apply((awsRegion) => JSON.stringify(dashboardBody(awsRegion, args.stack))),
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
 */
export function dashboardBody(region: string, stack: string) {
  const search = (id: string, query: string, stat: string) => ({ id, expression: `SEARCH('${query}', '${stat}', 300)`, label: "" });
  const widget = (title: string, query: string, stat: string, x: number, y: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stacked: false, period: 300, metrics: [[search("m", query, stat)]] },
  });
  // Dimension values are searched by token: "dev" matches dev-orders but not dev2-orders.
  return {
    widgets: [
      widget("Executions started per context", `{AWS/States,StateMachineArn} MetricName="ExecutionsStarted" ${stack}`, "Sum", 0, 0),
      widget("Executions failed per context", `{AWS/States,StateMachineArn} MetricName="ExecutionsFailed" ${stack}`, "Sum", 12, 0),
      widget("Invocations per function", `{AWS/Lambda,FunctionName} MetricName="Invocations" ${stack}`, "Sum", 0, 6),
      widget("Errors per function", `{AWS/Lambda,FunctionName} MetricName="Errors" ${stack}`, "Sum", 12, 6),
      widget("Duration per function (p95)", `{AWS/Lambda,FunctionName} MetricName="Duration" ${stack}`, "p95", 0, 12),
      widget("Offset lag per consumer group (records behind)", `{AWS/Lambda,FunctionName} MetricName="OffsetLag" ${stack}`, "Maximum", 12, 12),
      widget("Dead-lettered records per group", `{${metricNamespace(stack)},Group} MetricName="DeadLettered"`, "Sum", 0, 18),
    ],
  };
}
