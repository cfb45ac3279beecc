/**
 * Physical names, in one place, so infra, the local runtime and the catalog agree on them and
 * `validate()` can check each one against its limit before anything is created.
 */
export const names = {
  /** One topic per bounded context. */
  contextTopic: (context: string) => `${context}.events`,
  /** One dead-letter topic per consumer group. */
  deadLetterTopic: (group: string) => `${group}.dlq`,
  /**
   * The Kafka consumer group of one group's subscription to one context's topic. Lambda takes
   * one topic per MSK event source mapping and wants group ids unique among them, so a group
   * reading two contexts has two ids; naming each by its context keeps an id stable when the
   * group later subscribes to more. Prefixed by the stack so stacks sharing a cluster never
   * share offsets.
   */
  consumerGroupId: (stack: string, group: string, context: string) => `${stack}.${group}.${context}`,
  consumerFunction: (stack: string, group: string) => `${stack}-${group}`,
  /** A group's DynamoDB table of handled event ids. */
  idempotencyTable: (stack: string, group: string) => `${stack}-${group}-idempotency`,
  /** A correlator's DynamoDB table of waits and early events (one per waiting context). */
  waitTable: (stack: string, context: string) => `${stack}-${context}-waits`,
  /** The invariants group's DynamoDB table: each key's events, per invariant. */
  invariantTable: (stack: string) => `${stack}-invariants`,
  /** Where the invariants group reports violations; unprefixed, like context topics. */
  violationTopic: () => "invariants.violations",
  publisherFunction: (stack: string, context: string) => `${stack}-${context}-publisher`,
  /** Consumer groups a retried publish reads its own topic with, `<prefix>.<uuid>`, never committed. */
  publishCheckGroupPrefix: (stack: string, context: string) => `${stack}.${context}.publish-check`,
  /** Tasks are PascalCase, so only a task named `Publisher` comes near the publisher; `validate()` rejects it (case-only difference). */
  taskFunction: (stack: string, context: string, task: string) => `${stack}-${context}-${task}`,
  stateMachine: (stack: string, context: string) => `${stack}-${context}`,
  /**
   * CloudEvent `type` of an event: `<context>.<Event>` for version 1, `<context>.<Event>.v<N>`
   * from version 2 on, so a new version published side by side is an event of its own to every
   * filter, subscription and handler keyed by type.
   */
  eventType: (context: string, event: string, version = 1) => `${context}.${versionedEventName(event, version)}`,
  /** CloudEvent `dataschema` of an event: names the event and its schema version. */
  dataSchema: (context: string, event: string, version: number) => `urn:ensemble:schema:${context}.${event}:v${version}`,
} as const;

/**
 * The part of an event's type after its context, which is also its key in the context's
 * `events`: `OrderPlaced` for version 1, `OrderPlaced.v2` for version 2.
 */
export function versionedEventName(event: string, version = 1): string {
  return version === 1 ? event : `${event}.v${version}`;
}

/**
 * A name as it appears inside Pulumi logical names (`Ensemble<Pascal>...`): `notify-customer` ->
 * `NotifyCustomer`, `orders.events` -> `OrdersEvents`. Logical names key live resources, so this
 * rule must not change (test/unit/infra/resource-names.test.ts records them).
 */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}
