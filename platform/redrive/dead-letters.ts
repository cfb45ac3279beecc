import type { IHeaders, KafkaMessage } from "kafkajs";
import { toMskEvent } from "../runtime/msk-event";
import { DeadLetterHeaders, PoisonReason } from "../runtime/dead-letter";
import type { KafkaEvent, KafkaRecord } from "../runtime/msk";
import { isObject } from "../runtime/is-object";
import { DEAD_LETTER_HEADER_PREFIX, ON_FAILURE_CONDITIONS } from "../model";

/** Who wrote a record to a group's dead-letter topic. */
export const DeadLetterFormat = {
  /** The consumer wrapper: a record that can never succeed, unchanged, with `ensemble-dlq-*` headers. */
  Poison: "poison",
  /** The event source mapping: an on-failure record (AWS's JSON document) after its retries, or too old. */
  OnFailure: "on-failure",
  /** Neither: nothing to rebuild a delivery from. */
  Unknown: "unknown",
} as const;
export type DeadLetterFormat = (typeof DeadLetterFormat)[keyof typeof DeadLetterFormat];

/** One record of a dead-letter topic, read back into the delivery it stands for. */
export interface DeadLetter {
  /** Where it sits in the dead-letter topic. */
  readonly partition: number;
  readonly offset: number;
  readonly format: DeadLetterFormat;
  /** `ensemble-dlq-reason` (e.g. `schema-invalid`, `retries-exhausted`), else what the record says. */
  readonly reason: string;
  readonly detail: string | undefined;
  /** The original records, as the group's function received them: one, or several in an on-failure record. */
  readonly records: readonly KafkaRecord[];
  /** The invocation the event source mapping made with them, for the redrive to make again. */
  readonly events: readonly KafkaEvent[];
}

/** AWS's on-failure `requestContext.condition`, in the words of the reason header. */
const CONDITION_REASONS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(ON_FAILURE_CONDITIONS).map(([reason, condition]) => [condition, reason]));

/**
 * Reads a dead-letter record in either format a group's `<group>.dlq` holds:
 * - the consumer wrapper's poison records (platform/runtime/dead-letter.ts): the original key,
 *   value and headers, plus `ensemble-dlq-*` headers naming the source topic, partition, offset
 *   and timestamp;
 * - the event source mapping's on-failure records (`onFailureRecord` in
 *   platform/local/event-source-mapping/on-failure-record.ts, AWS's documented format): a JSON
 *   document whose `payload` is the invocation's MSK event, `records` keyed
 *   `<topic>-<partition>`. Records written by AWS itself carry no `ensemble-dlq-*` headers;
 *   `requestContext.condition` says why.
 */
export function readDeadLetter(partition: number, message: KafkaMessage): DeadLetter {
  const headers = textHeaders(message.headers);
  const offset = Number(message.offset);
  const reason = headers[DeadLetterHeaders.Reason];
  const detail = headers[DeadLetterHeaders.Detail];

  if (reason && (Object.values(PoisonReason) as string[]).includes(reason)) {
    const topic = headers[DeadLetterHeaders.SourceTopic];
    const sourcePartition = Number(headers[DeadLetterHeaders.SourcePartition]);
    const sourceOffset = headers[DeadLetterHeaders.SourceOffset];
    if (!topic || !Number.isInteger(sourcePartition) || !sourceOffset) {
      return unknown(partition, offset, `a ${reason} record without its ${DeadLetterHeaders.SourceTopic}/partition/offset headers`);
    }
    const original: IHeaders = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) if (!name.startsWith(DEAD_LETTER_HEADER_PREFIX) && value !== undefined) original[name] = value;
    const event = toMskEvent([
      {
        topic,
        partition: sourcePartition,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: original,
            offset: sourceOffset,
            timestamp: headers[DeadLetterHeaders.SourceTimestamp] ?? message.timestamp,
            attributes: 0,
          },
        ],
      },
    ]);
    return { partition, offset, format: DeadLetterFormat.Poison, reason, detail, records: Object.values(event.records).flat(), events: [event] };
  }

  const document = parseJson(message.value);
  const payload = isObject(document) && isObject(document.payload) ? document.payload : undefined;
  const byPartition = payload && isObject(payload.records) ? payload.records : undefined;
  if (payload && byPartition && Object.values(byPartition).every((records) => Array.isArray(records) && records.every(isKafkaRecord))) {
    const condition = isObject(document) && isObject(document.requestContext) ? String(document.requestContext.condition ?? "") : "";
    // One invocation per source partition, as the mapping made it.
    const events = Object.entries(byPartition as Record<string, KafkaRecord[]>).map(
      ([key, records]): KafkaEvent => ({
        eventSource: "aws:kafka",
        eventSourceArn: typeof payload.eventSourceArn === "string" ? payload.eventSourceArn : "",
        bootstrapServers: typeof payload.bootstrapServers === "string" ? payload.bootstrapServers : "",
        records: { [key]: records },
      }),
    );
    return {
      partition,
      offset,
      format: DeadLetterFormat.OnFailure,
      reason: reason ?? CONDITION_REASONS[condition] ?? (condition || "on-failure"),
      detail,
      records: events.flatMap((event) => Object.values(event.records).flat()),
      events,
    };
  }
  return unknown(partition, offset, "neither a poison record (ensemble-dlq-* headers) nor an on-failure record (JSON with payload.records)");
}

/** The CloudEvent `id` and `type` in a record's value, when it is JSON that has them. */
export function eventOf(record: KafkaRecord): { id?: string; type?: string } {
  const value = parseJson(record.value ? Buffer.from(record.value, "base64") : null);
  if (!isObject(value)) return {};
  return {
    ...(typeof value.id === "string" ? { id: value.id } : {}),
    ...(typeof value.type === "string" ? { type: value.type } : {}),
  };
}

function unknown(partition: number, offset: number, detail: string): DeadLetter {
  return { partition, offset, format: DeadLetterFormat.Unknown, reason: "unreadable", detail, records: [], events: [] };
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) text[name] = first.toString();
  }
  return text;
}

function parseJson(value: Buffer | string | null | undefined): unknown {
  if (!value || value.length === 0) return undefined;
  try {
    return JSON.parse(value.toString());
  } catch {
    return undefined;
  }
}


function isKafkaRecord(value: unknown): value is KafkaRecord {
  return isObject(value) && typeof value.topic === "string" && typeof value.partition === "number" && typeof value.offset === "number";
}
