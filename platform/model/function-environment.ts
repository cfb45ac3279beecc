/**
 * Environment variables the infra sets on a Lambda function and the runtime reads there: one
 * name each, so the two sides cannot drift apart.
 */
export const FunctionEnvironment = {
  /** Bootstrap brokers (IAM) of the MSK cluster; locally `KAFKA_BROKERS` stands in. */
  KafkaBrokers: "ENSEMBLE_KAFKA_BROKERS",
  /** `iam` on AWS; unset (none) for a plaintext local broker. */
  KafkaAuth: "ENSEMBLE_KAFKA_AUTH",
  /** A consumer group's idempotency table. */
  IdempotencyTable: "ENSEMBLE_IDEMPOTENCY_TABLE",
  /** A consumer group's deduplication window, seconds (see `dedupeWindowSeconds`). */
  IdempotencyTtlSeconds: "ENSEMBLE_IDEMPOTENCY_TTL_SECONDS",
  /** The state machine a workflow-starting group starts. */
  StartStateMachineArn: "ENSEMBLE_START_STATE_MACHINE_ARN",
  /** A correlator's DynamoDB table of waits and early events. */
  WaitTable: "ENSEMBLE_WAIT_TABLE",
  /** The invariants group's DynamoDB table of each key's events. */
  InvariantTable: "ENSEMBLE_INVARIANT_TABLE",
  /** How long the invariants group keeps a key's events after its last one, seconds: the longest bound plus the deduplication window. */
  InvariantKeepSeconds: "ENSEMBLE_INVARIANT_KEEP_SECONDS",
  /** The topic the invariants group reports violations to. */
  ViolationTopic: "ENSEMBLE_VIOLATION_TOPIC",
  /** A context's state machine, for its publisher's reconciliation of failed executions. */
  StateMachineArn: "ENSEMBLE_STATE_MACHINE_ARN",
  /** Prefix of the throwaway consumer groups a retried publish checks its topic with. */
  PublishCheckGroupPrefix: "ENSEMBLE_PUBLISH_CHECK_GROUP_PREFIX",
} as const;
export type FunctionEnvironment = (typeof FunctionEnvironment)[keyof typeof FunctionEnvironment];
