export { defineEvent, type ContextEvent, type EventData, type EventDefinition, type EventSpec } from "./event";
export { defineContext, type ContextDefinition, type ContextSpec, type TaskDefinition, type TaskSpec } from "./context";
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
export { CONSUMER_LIMITS, NAME_LIMITS, STACK_NAME } from "./limits";
export { names } from "./names";
export { closest } from "./suggest";
export {
  bindWorkflow,
  defineWorkflow,
  fail,
  LAMBDA_INVOKE,
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
