/**
 * Physical names, in one place, so infra, the local runtime and the catalog agree on them and
 * `validate()` can check each one against its limit before anything is created.
 */
export const names = {
  /** One topic per bounded context. */
  contextTopic: (context: string) => `${context}.events`,
  /** One dead-letter topic per consumer group. */
  deadLetterTopic: (group: string) => `${group}.dlq`,
  /** Prefixed by the stack so two stacks sharing a cluster never share offsets. */
  consumerGroupId: (stack: string, group: string) => `${stack}.${group}`,
  consumerFunction: (stack: string, group: string) => `${stack}-${group}`,
  publisherFunction: (stack: string, context: string) => `${stack}-${context}-publisher`,
  stateMachine: (stack: string, context: string) => `${stack}-${context}`,
  /** CloudEvent `type` of an event: `<context>.<Event>`. */
  eventType: (context: string, event: string) => `${context}.${event}`,
} as const;
