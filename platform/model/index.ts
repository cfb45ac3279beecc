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
export { findIssues, validate, type Topic, type Topology, type ValidateOptions, type ValidTopology } from "./validate";
export { formatIssue, ModelError, TopologyError, type TopologyIssue } from "./errors";
export { dedupeWindowSeconds, longestLifeMs, RETENTION_DEFAULTS, topicConfigs } from "./retention";
export { CONSUMER_LIMITS, DEAD_LETTER_MAX_MESSAGE_BYTES, FUNCTION_DEFAULTS, NAME_LIMITS, STACK_NAME, TOPIC_MAX_MESSAGE_BYTES } from "./limits";
export {
  DEAD_LETTER_DETAIL_MAX,
  DEAD_LETTER_HEADER_DESCRIPTIONS,
  DEAD_LETTER_PREFIX_BYTES,
  DeadLetterHeaders,
  type DeadLetterReason,
  OnFailureReason,
  PoisonReason,
} from "./dead-letters";
export { defineDemo, type DemoDefinition, type Scenario } from "./demo";
export { names } from "./names";
export { closest } from "./suggest";
export {
  bindWorkflow,
  defineWorkflow,
  fail,
  LAMBDA_INVOKE,
  loopsOf,
  MILESTONE_CONTEXT_FIELDS,
  MILESTONE_FUNCTION,
  milestone,
  type MilestoneState,
  type Retrier,
  type State,
  succeed,
  task,
  taskOf,
  transient,
  transitionProblems,
  type WorkflowBindings,
  type WorkflowDefinition,
  type WorkflowSpec,
} from "./workflow";
