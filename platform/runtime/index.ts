export { type BatchStats, consume, type ConsumeOptions, ConsumerInputError, type EventHandler, type KafkaHandler, type ReceivedEvent, type RecordContext } from "./consumer";
export { DeadLetterHeaders, DeadLetterWriter, PoisonReason } from "./dead-letter";
export { CLOUDEVENTS_CONTENT_TYPE, dataSchema, decodeEvent, eventId, type MilestoneOrigin, type ReceivedEnvelope, toCloudEvent, toKafkaRecord } from "./envelope";
export {
  EventTooLargeError,
  InvalidEventError,
  MilestoneErrors,
  MilestoneInputError,
  PublishFailedError,
  PublishTimeoutError,
  RuntimeConfigError,
  RuntimeError,
  UnknownEventError,
} from "./errors";
export { EventInProgressError, IDEMPOTENCY_TABLE_SCHEMA, idempotencyStoreFromEnv, InMemoryPersistenceLayer, once } from "./idempotency";
export { createKafka, KafkaAuth, kafkaConfig, type KafkaSettings, kafkaSettingsFromEnv } from "./kafka";
export { isKafkaEvent, type KafkaBatchItemFailure, type KafkaBatchResponse, type KafkaEvent, type KafkaRecord } from "./msk";
export { MilestoneInput, MilestonePublisher, type MilestoneResult, milestoneHandler } from "./publisher";
export { startsWorkflow, type StartsWorkflowOptions, useWorkflowStarter } from "./consumer-starts-workflow";
export {
  executionName,
  RecordingWorkflowStarter,
  SfnWorkflowStarter,
  type StartWorkflowRequest,
  type StartWorkflowResult,
  type WorkflowStarter,
  WorkflowStartError,
} from "./workflow-starter";
