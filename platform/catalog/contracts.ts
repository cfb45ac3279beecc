import { DEAD_LETTER_HEADER_DESCRIPTIONS, OnFailureReason, PoisonReason, VIOLATION_EVENT_TYPE, ViolationKind } from "../model";

/**
 * What the runtime puts on the wire, as the catalog describes it. The catalog reads only the
 * model, never the runtime (which loads Kafka clients), so these few facts are restated here;
 * `test/unit/catalog/catalog.test.ts` checks each against `platform/runtime`, so they cannot drift.
 */

/** `defaultContentType` of the document: CloudEvents structured mode. */
export const CLOUDEVENTS_MEDIA_TYPE = "application/cloudevents+json";

/** The `content-type` header the CloudEvents Kafka binding writes on every event record. */
export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

/** kafkajs client id of a context's milestone publisher (`platform/runtime/publisher.ts`). */
export const publisherClientId = (context: string) => `${context}-publisher`;

/** kafkajs client id of a group's dead-letter producer (`platform/runtime/consumer.ts`). */
export const deadLetterClientId = (group: string) => `${group}-dlq`;

/** Headers a dead-lettered record carries besides its own (`platform/model/dead-letters.ts`). */
export const DEAD_LETTER_HEADERS = DEAD_LETTER_HEADER_DESCRIPTIONS;

/** Records the consumer wrapper dead-letters at once: they can never succeed. */
export const POISON_REASONS = Object.values(PoisonReason);

/** Records the event source mapping sends to the on-failure destination. */
export const ON_FAILURE_REASONS = Object.values(OnFailureReason);

/** CloudEvent `type` of a violation on the violations topic. */
export const VIOLATION_TYPE = VIOLATION_EVENT_TYPE;

/** CloudEvent `source` of a violation (`platform/runtime/invariants.ts`, `KafkaViolationReporter`). */
export const VIOLATION_SOURCE = "invariants";

/** Each kind of violation the checker reports, and when (`platform/model/invariant.ts`). */
export const VIOLATION_KINDS: Readonly<Record<ViolationKind, string>> = {
  [ViolationKind.Missing]: "exactlyOne: none of the expected events came within the bound",
  [ViolationKind.MoreThanOne]: "exactlyOne: more than one of them came",
  [ViolationKind.Late]: "exactlyOne: the one that came was later than the bound",
  [ViolationKind.Forbidden]: "never: a forbidden event came after the opening one",
};
