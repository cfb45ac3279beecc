/**
 * The limits AWS and Kafka put on what the model turns into resources. `validate()` checks
 * names and settings against these, so `pulumi up` never learns about them the hard way.
 */

/** Stack names are part of physical names; capping them lets `validate()` vouch for every stack. */
export const STACK_NAME = { maxLength: 20, pattern: /^[a-z][a-z0-9-]*$/ } as const;

export const NAME_LIMITS = {
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName)
  lambdaFunction: { label: "Lambda function name", maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/ },
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
  stateMachine: { label: "state machine name", maxLength: 80, pattern: /^[A-Za-z0-9_-]+$/ },
  // Kafka's Topic.validate(): 249 characters of [a-zA-Z0-9._-]
  kafkaTopic: { label: "Kafka topic name", maxLength: 249, pattern: /^[A-Za-z0-9._-]+$/ },
  // AmazonManagedKafkaEventSourceConfig.ConsumerGroupId
  consumerGroupId: { label: "consumer group id", maxLength: 200, pattern: /^[a-zA-Z0-9-/*:_+=.@]+$/ },
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

/** Ranges of the Lambda event source mapping settings for Amazon MSK. */
export const CONSUMER_LIMITS = {
  batchSize: { min: 1, max: 10_000 },
  batchWindowSeconds: { min: 0, max: 300 },
  minPollers: { min: 1, max: 200 },
  maxPollers: { min: 1, max: 2_000 },
  retries: { min: -1, max: 10_000 },
  // -1 means "no limit"; otherwise 60 s to 7 days.
  maxRecordAgeSeconds: { min: 60, max: 604_800, unlimited: -1 },
} as const;

/** Context and consumer group names: they end up in topic, function and group names. */
export const KEBAB_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Event names: they end up in CloudEvent types such as `orders.OrderPlaced`. */
export const PASCAL_NAME = /^[A-Z][A-Za-z0-9]*$/;

/**
 * The largest record (batch) a topic accepts: Kafka's default `max.message.bytes`, which Amazon
 * MSK keeps (1 MiB plus 12 bytes of batch overhead). The infra and the local runtime set it on
 * every topic they create, so the publisher and the dead-letter writers can check a record
 * against it before sending instead of learning it from a `MESSAGE_TOO_LARGE` retried forever.
 * https://kafka.apache.org/documentation/#topicconfigs_max.message.bytes
 * https://docs.aws.amazon.com/msk/latest/developerguide/msk-default-configuration.html
 */
export const TOPIC_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * The `max.message.bytes` of dead-letter topics: room for Lambda's own on-failure record of the
 * largest record a context topic takes. Lambda writes that record to the `kafka://` destination
 * whole, base64 inside a JSON document (a third larger, plus its metadata), and cannot shorten it;
 * at the context topics' limit, a record over ~780 KB that ran out of retries could not be
 * dead-lettered at all.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format
 */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** Memory and timeout of every function unless a stack (`ensemble:functions`) or a task says otherwise. */
export const FUNCTION_DEFAULTS = { memoryMb: 256, timeoutSeconds: 30 } as const;

/** Partitions of each context topic unless a stack (`ensemble:kafka.partitions`) or a command says otherwise. */
export const TOPIC_DEFAULTS = { partitions: 3 } as const;
