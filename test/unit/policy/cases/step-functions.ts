import type { TestResource } from "../../../support/policy";
import { type PolicyCase, variant } from "../run-case";

/** A state machine every Step Functions policy accepts. */
const machine: TestResource = {
  type: "aws:sfn/stateMachine:StateMachine",
  name: "OrdersWorkflow",
  inputs: {
    definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
    roleArn: "arn:aws:iam::123456789012:role/orders-workflow",
    loggingConfiguration: { level: "ERROR", includeExecutionData: false, logDestination: "arn:aws:logs:eu-west-1:123456789012:log-group:/ensemble/prod/orders:*" },
    tracingConfiguration: { enabled: true },
  },
};

export const stepFunctionsCases: PolicyCase[] = [
  { policy: "sfn-logging", title: "passes at ERROR with a log group", resources: [machine] },
  { policy: "sfn-logging", title: "passes at ALL", resources: [variant(machine, { "loggingConfiguration.level": "ALL" })] },
  {
    policy: "sfn-logging",
    title: "fails at FATAL",
    resources: [variant(machine, { "loggingConfiguration.level": "FATAL" })],
    fails: 'State machine "OrdersWorkflow" logs at level FATAL, below the required ERROR; set loggingConfiguration.level to "ERROR" or "ALL"',
  },
  {
    policy: "sfn-logging",
    title: "fails without logging configuration",
    resources: [variant(machine, { loggingConfiguration: undefined })],
    fails: ["logs at level OFF, below the required ERROR", "has no log destination; set loggingConfiguration.logDestination"],
  },
  { policy: "sfn-xray-tracing", title: "passes with tracing enabled", resources: [machine] },
  {
    policy: "sfn-xray-tracing",
    title: "fails without tracing",
    resources: [variant(machine, { tracingConfiguration: undefined })],
    fails: 'State machine "OrdersWorkflow" does not trace with X-Ray; set tracingConfiguration to { enabled: true }',
  },
  { policy: "sfn-no-execution-data-in-logs", title: "passes when execution data stays out of the logs", resources: [machine] },
  {
    policy: "sfn-no-execution-data-in-logs",
    title: "fails in prod when execution data is logged",
    resources: [variant(machine, { "loggingConfiguration.includeExecutionData": true })],
    fails: "writes execution input and output, i.e. customer data, to its logs; set loggingConfiguration.includeExecutionData to false",
  },
  {
    policy: "sfn-no-execution-data-in-logs",
    title: "passes in dev when execution data is logged (exception)",
    stack: "dev",
    resources: [variant(machine, { "loggingConfiguration.includeExecutionData": true })],
  },
];
