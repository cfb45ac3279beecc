/**
 * The defaults of the security and operations baseline, once: the stack config's defaults and the
 * components' own, when a component is used without config. docs/security.md says which control
 * each answers.
 */

/** Retention of every log group, days: Security Hub CloudWatch.16's and Control Tower CT.CLOUDWATCH.PR.2's minimum. */
export const LOG_RETENTION_DEFAULT_DAYS = 365;

/** MSK's enhanced monitoring levels, least to most. */
export const ENHANCED_MONITORING_LEVELS = ["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] as const;
export type EnhancedMonitoringLevel = (typeof ENHANCED_MONITORING_LEVELS)[number];
/** The least Security Hub MSK.2 accepts. */
export const ENHANCED_MONITORING_DEFAULT: EnhancedMonitoringLevel = "PER_TOPIC_PER_BROKER";

/** Step Functions' log levels. */
export const STATE_MACHINE_LOG_LEVELS = ["ALL", "ERROR", "FATAL", "OFF"] as const;
export type StateMachineLogLevel = (typeof STATE_MACHINE_LOG_LEVELS)[number];
/** Failures only, without execution data: state inputs and outputs carry the business payload, customer data included. */
export const STATE_MACHINE_LOGS_DEFAULT = { level: "ERROR", includeExecutionData: false } as const satisfies { level: StateMachineLogLevel; includeExecutionData: boolean };
