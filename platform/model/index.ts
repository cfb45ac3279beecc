export { defineEvent, type ContextEvent, type EventData, type EventDefinition, type EventSpec } from "./event";
export { defineContext, type ContextDefinition, type ContextSpec, type TaskDefinition, type TaskModule, type TaskSpec } from "./context";
export { contextFile, kebab, taskFile, taskImport } from "./files";
export {
  CONSUMER_DEFAULTS,
  defineConsumer,
  StartingPosition,
  type ConsumedEvent,
  type ConsumerDefinition,
  type ConsumerSpec,
} from "./consumer";
export { findIssues, validate, type Topic, type TopicPurpose, type Topology, type ValidateOptions, type ValidTopology } from "./validate";
export { defineTopology } from "./topology";
export { CORRELATOR_HANDLER, correlatorName, correlatorOf } from "./correlator";
export {
  defineInvariant,
  type Duration,
  evaluate,
  INVARIANTS_GROUP,
  type InvariantDefinition,
  type InvariantSpec,
  type SeenEvent,
  type Violation,
  VIOLATION_EVENT_TYPE,
  ViolationKind,
} from "./invariant";
export { invariantsGroupOf } from "./invariants-group";
export { FAILURE_STATE, type FailureMilestone, onFailure, RECONCILE_FAILURES_INPUT } from "./failure-milestone";
export { WAIT_EVENT_TOO_LARGE, WAIT_REGISTRATION_FAILED, WAIT_TIMED_OUT, waitFor, type WaitForOptions } from "./wait-for";
// The stack's settings and each group's plan on it are imported from ./stack-config and
// ./consumer-group-plan: zod schemas built at load, which Lambda bundles (through contexts/) need not carry.
export { formatIssue, ModelError, TaskModuleError, TopologyError, type TopologyIssue } from "./errors";
export { loadTaskHandler, type TaskHandler } from "./task-modules";
export { dedupeWindowSeconds, longestLifeMs, RETENTION_DEFAULTS, topicConfigs } from "./retention";
export { CONSUMER_LIMITS, DEAD_LETTER_MAX_MESSAGE_BYTES, FUNCTION_DEFAULTS, NAME_LIMITS, STACK_NAME, TOPIC_DEFAULTS, TOPIC_MAX_MESSAGE_BYTES } from "./limits";
export {
  DEAD_LETTER_DETAIL_MAX,
  DEAD_LETTER_HEADER_DESCRIPTIONS,
  DEAD_LETTER_HEADER_PREFIX,
  DEAD_LETTER_PREFIX_BYTES,
  DeadLetterHeaders,
  type DeadLetterReason,
  ON_FAILURE_CONDITIONS,
  OnFailureReason,
  PoisonReason,
} from "./dead-letters";
export { defineDemo, type DemoDefinition, type Scenario } from "./demo";
export { names, pascal } from "./names";
export { FunctionEnvironment } from "./function-environment";
export { IDEMPOTENCY_TABLE_SCHEMA } from "./idempotency-table";
export { partitionsOf } from "./partitions";
export { closest } from "./suggest";
export {
  bindWorkflow,
  defineWorkflow,
  loopsOf,
  type MilestoneState,
  type WaitState,
  transitionProblems,
  type WorkflowBindings,
  type WorkflowDefinition,
  type WorkflowSpec,
} from "./workflow";
export {
  fail,
  LAMBDA_INVOKE,
  MILESTONE_CONTEXT_FIELDS,
  MILESTONE_FUNCTION,
  milestone,
  type Retrier,
  type State,
  succeed,
  task,
  taskOf,
  transient,
} from "./workflow-states";
