/**
 * The contract of a consumer group's dead-letter topic `<group>.dlq`, in one place: the consumer
 * wrapper and the local event source mapping write it, the redrive reads it, the catalog
 * describes it.
 */

/** Why the consumer wrapper dead-lettered a record at once: it can never succeed as it is. */
export const PoisonReason = {
  /** No value, or a zero-length one, reached the function (only without a filter: MSK drops them). */
  EmptyValue: "empty-value",
  /** The value (structured mode) or the data (binary mode, JSON content type) is not JSON. */
  NotJson: "not-json",
  /** Not a CloudEvent 1.0 of the Kafka binding: a required attribute missing or malformed. */
  NotCloudEvent: "not-cloudevent",
  /** A CloudEvent whose content type Ensemble cannot read: a non-JSON structured format, batch mode, non-JSON data. */
  UnsupportedContentType: "unsupported-content-type",
  /** The event's data fails the subscribed event's schema. */
  SchemaInvalid: "schema-invalid",
  /** An event id this group already handled, with different content: a producer reused an id. */
  IdConflict: "id-conflict",
} as const;
export type PoisonReason = (typeof PoisonReason)[keyof typeof PoisonReason];

/** Why the event source mapping itself sent a record to the on-failure destination. */
export const OnFailureReason = {
  RetriesExhausted: "retries-exhausted",
  RecordTooOld: "record-too-old",
} as const;
export type OnFailureReason = (typeof OnFailureReason)[keyof typeof OnFailureReason];

export type DeadLetterReason = PoisonReason | OnFailureReason;

/**
 * The `requestContext.condition` Lambda writes on an on-failure record, by reason: the Kafka
 * destination example of kafka-on-failure-destination.html shows `RetriesExhausted`; for an
 * expired record it is the stream destinations' `RecordAgeExceeded`.
 */
export const ON_FAILURE_CONDITIONS: Readonly<Record<OnFailureReason, string>> = {
  [OnFailureReason.RetriesExhausted]: "RetriesExhausted",
  [OnFailureReason.RecordTooOld]: "RecordAgeExceeded",
};

/** Headers every dead-letter record carries besides its own, so it can be understood and redriven. */
export const DeadLetterHeaders = {
  Reason: "ensemble-dlq-reason",
  Detail: "ensemble-dlq-detail",
  Group: "ensemble-dlq-group",
  SourceTopic: "ensemble-dlq-source-topic",
  SourcePartition: "ensemble-dlq-source-partition",
  SourceOffset: "ensemble-dlq-source-offset",
  SourceTimestamp: "ensemble-dlq-source-timestamp",
  /**
   * Present (`"true"`) when the record is a reference: a copy would not fit the dead-letter
   * topic's `max.message.bytes`, so the value holds a bounded prefix of the original and the
   * source coordinates say where the whole record is (until the source topic's retention).
   */
  Reference: "ensemble-dlq-reference",
} as const;

/** The prefix every one of {@link DeadLetterHeaders} starts with. */
export const DEAD_LETTER_HEADER_PREFIX = "ensemble-dlq-";

/** What each header says, for the catalog. */
export const DEAD_LETTER_HEADER_DESCRIPTIONS: Record<(typeof DeadLetterHeaders)[keyof typeof DeadLetterHeaders], string> = {
  [DeadLetterHeaders.Reason]: "Why the record was dead-lettered (see the reasons).",
  [DeadLetterHeaders.Detail]: "What exactly was wrong, in a sentence (at most 4000 characters).",
  [DeadLetterHeaders.Group]: "The consumer group that gave up on the record.",
  [DeadLetterHeaders.SourceTopic]: "The topic the record was read from.",
  [DeadLetterHeaders.SourcePartition]: "Its partition there.",
  [DeadLetterHeaders.SourceOffset]: "Its offset there.",
  [DeadLetterHeaders.SourceTimestamp]: "Its timestamp there (epoch milliseconds).",
  [DeadLetterHeaders.Reference]:
    "Only on a reference: `true` when a copy would exceed the topic's max.message.bytes; the value is then a bounded prefix of the original, which stays at the source coordinates until the source topic's retention.",
};

/** How long a dead-letter detail may be, so a header never grows a record past its limit. */
export const DEAD_LETTER_DETAIL_MAX = 4_000;

/** How many bytes of the original value a reference keeps. */
export const DEAD_LETTER_PREFIX_BYTES = 4_096;
