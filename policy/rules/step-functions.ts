import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, forTypes, REASON, subject } from "../lib/define";

const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";

/** Step Functions log levels, least to most detailed. */
export const LOG_LEVELS = ["OFF", "FATAL", "ERROR", "ALL"] as const;

const loggingSchema: PolicyConfigSchema = {
  properties: {
    minimumLevel: {
      type: "string",
      enum: ["FATAL", "ERROR", "ALL"],
      default: "ERROR",
      description: "The least detailed log level a state machine may use (CT.STEPFUNCTIONS.PR.1 needs ERROR or ALL).",
    },
    reason: REASON,
  },
};

const executionDataSchema: PolicyConfigSchema = {
  properties: {
    allowExecutionData: {
      type: "boolean",
      default: false,
      description: "Allow state machines to write execution input and output (customer data) to their logs.",
    },
    reason: REASON,
  },
};

export const stepFunctionsPolicies: ResourceValidationPolicy[] = [
  {
    name: "sfn-logging",
    description:
      "StepFunctions.1, CT.STEPFUNCTIONS.PR.1: a state machine logs at least the configured level (OFF < FATAL < ERROR < ALL; default ERROR) to a CloudWatch Logs log group (loggingConfiguration.logDestination).",
    enforcementLevel: "mandatory",
    configSchema: loggingSchema,
    validateResource: forTypes(STATE_MACHINE, (props, args, report) => {
      const { minimumLevel } = configOf<{ minimumLevel: (typeof LOG_LEVELS)[number] }>(args, loggingSchema);
      const logging = props.loggingConfiguration;
      const level = typeof logging?.level === "string" ? logging.level : "OFF";
      if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(minimumLevel)) {
        report(`${subject("State machine", args)} logs at level ${level}, below the required ${minimumLevel}; set loggingConfiguration.level to "${minimumLevel}" or "ALL".`);
      }
      if (!logging?.logDestination) {
        report(`${subject("State machine", args)} has no log destination; set loggingConfiguration.logDestination to "<log group ARN>:*".`);
      }
    }),
  },
  {
    name: "sfn-xray-tracing",
    description: "CT.STEPFUNCTIONS.PR.2: a state machine traces its executions with AWS X-Ray (tracingConfiguration.enabled true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(STATE_MACHINE, (props, args, report) => {
      if (props.tracingConfiguration?.enabled !== true) {
        report(`${subject("State machine", args)} does not trace with X-Ray; set tracingConfiguration to { enabled: true }.`);
      }
    }),
  },
  {
    name: "sfn-no-execution-data-in-logs",
    description:
      "Custom: a state machine's logs leave out execution input and output (loggingConfiguration.includeExecutionData not true), which carry customer data, unless the stack's config allows it.",
    enforcementLevel: "mandatory",
    configSchema: executionDataSchema,
    validateResource: forTypes(STATE_MACHINE, (props, args, report) => {
      const { allowExecutionData } = configOf<{ allowExecutionData: boolean }>(args, executionDataSchema);
      if (!allowExecutionData && props.loggingConfiguration?.includeExecutionData === true) {
        report(`${subject("State machine", args)} writes execution input and output, i.e. customer data, to its logs; set loggingConfiguration.includeExecutionData to false.`);
      }
    }),
  },
];
