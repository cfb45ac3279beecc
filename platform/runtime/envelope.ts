import { hash } from "node:crypto";
import { CloudEvent, Kafka as CloudEventsKafka } from "cloudevents";
import { parse as uuidParse, v5 as uuidv5 } from "uuid";
import { type ContextEvent, names, PoisonReason } from "../model";
import { readCloudEvent } from "./cloudevent-record";
import { schemaProblems } from "./schema";

/** Namespace of Ensemble's name-based (v5) event ids; never change it, or ids stop matching. */
const EVENT_ID_NAMESPACE = "7d7f4c52-5b0e-4c4a-9a7e-1f2c0e3b9d41";
/** The namespace as bytes, parsed once: uuid parses a string namespace again on every call. */
const EVENT_ID_NAMESPACE_BYTES = uuidParse(EVENT_ID_NAMESPACE);

/** CloudEvents structured mode: the whole event is JSON in the record value. */
export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

/** Where a milestone was reached: the same occurrence always yields the same event id. */
export interface MilestoneOrigin {
  /** The Step Functions execution ARN (`$$.Execution.Id`): the same on every retry and redrive. */
  readonly executionId: string;
  /** The milestone state's name, written into the task's Parameters by the helper. */
  readonly state: string;
  /** Inside a Map: the item's index, or in nested Maps the index path `"<outer>.<inner>"`. */
  readonly mapIndex?: number | string | undefined;
  /** The value that tells a loop's passes through the state apart (the milestone's `occurrence`). */
  readonly occurrence?: string | number | boolean | undefined;
}

/**
 * The event id of a milestone occurrence: a UUID v5 of the execution id, the state name, the Map
 * index path and the loop occurrence. A retried or redriven publish of the same occurrence gets
 * the same id, so consumers drop the duplicate; two occurrences never share one. A milestone
 * outside Maps and loops keeps the id of (execution, state), as it always had.
 */
export function eventId(origin: MilestoneOrigin): string {
  const place = [
    origin.executionId,
    origin.state,
    ...(origin.mapIndex === undefined ? [] : [String(origin.mapIndex)]),
    // Marked, so an occurrence can never read as a Map index.
    ...(origin.occurrence === undefined ? [] : [`#${String(origin.occurrence)}`]),
  ];
  return uuidv5(place.join("\u0000"), EVENT_ID_NAMESPACE_BYTES);
}

/** `dataschema` of an event: names the event and its schema version (`names.dataSchema`). */
export function dataSchema(event: Pick<ContextEvent, "context" | "name" | "version">): string {
  return names.dataSchema(event.context, event.name, event.version);
}

export interface EnvelopeInput<D> extends MilestoneOrigin {
  readonly event: ContextEvent;
  /** The entity id: CloudEvent `subject` and Kafka key, so one entity's events stay in order. */
  readonly key: string;
  readonly data: D;
  /** @default now */
  readonly time?: Date | string | undefined;
  /** W3C trace context: the CloudEvents distributed-tracing extension (`traceparent`, `tracestate`). */
  readonly trace?: { readonly traceparent: string; readonly tracestate?: string | undefined };
}

/**
 * The CloudEvent a milestone publishes. `correlationid` carries the execution id. Built without
 * the SDK's per-event validation (`strict` false): every attribute comes from checked parts (the
 * model's names, a v5 id, an ISO time, a zod-checked key), and test/unit/runtime/envelope.test.ts
 * holds the envelope to the SDK's strict check; what a consumer receives is validated there.
 */
export function toCloudEvent<D>(input: EnvelopeInput<D>): CloudEvent<D> {
  return new CloudEvent<D>(
    {
      specversion: "1.0",
      id: eventId(input),
      type: input.event.type,
      source: input.event.context,
      subject: input.key,
      time: new Date(input.time ?? Date.now()).toISOString(),
      datacontenttype: "application/json",
      dataschema: dataSchema(input.event),
      data: input.data,
      correlationid: input.executionId,
      partitionkey: input.key,
      ...(input.trace ? { traceparent: input.trace.traceparent, ...(input.trace.tracestate ? { tracestate: input.trace.tracestate } : {}) } : {}),
    },
    false,
  );
}

export interface KafkaRecordOut {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** Structured-mode Kafka record of an event, via the CloudEvents SDK's Kafka binding. */
export function toKafkaRecord(event: CloudEvent<unknown>): KafkaRecordOut {
  const message = CloudEventsKafka.structured(event);
  return {
    key: String(message.key),
    value: String(message.value),
    headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)])),
  };
}

/** An event as a consumer receives it: the envelope's attributes and the parsed data. */
export interface ReceivedEnvelope<T extends string = string, D = unknown> {
  readonly id: string;
  readonly type: T;
  readonly source: string;
  readonly subject: string | undefined;
  /** Absent when the producer left the optional `time` out. */
  readonly time: string | undefined;
  readonly data: D;
  /** The publishing execution's id (extension `correlationid`), for correlation across contexts. */
  readonly correlationId: string | undefined;
  /** `structured` (Ensemble's publishers) or `binary` (`ce_` headers, as other producers may write). */
  readonly mode: "structured" | "binary";
  readonly dataschema: string | undefined;
  readonly datacontenttype: string | undefined;
  /** Every extension attribute the record carried, by name (`correlationid`, `traceparent`, ...). */
  readonly extensions: Readonly<Record<string, unknown>>;
}

/** Why a valid CloudEvent is skipped without effect, as the mapping's filter would have done. */
export const FilterReason = {
  /** A type the group does not subscribe to: MSK's filter drops it in structured mode, the wrapper in binary mode. */
  NotSubscribed: "not-subscribed",
} as const;
export type FilterReason = (typeof FilterReason)[keyof typeof FilterReason];

export type Decoded =
  | { readonly verdict: "event"; readonly event: ReceivedEnvelope; readonly definition: ContextEvent }
  | { readonly verdict: "filtered"; readonly reason: FilterReason; readonly detail: string }
  | { readonly verdict: "poison"; readonly reason: PoisonReason; readonly detail: string };

/**
 * Reads a record as a CloudEvent of either mode of the Kafka binding (see `readCloudEvent`) and
 * validates its data against the subscribed event's schema. A record that can never succeed is
 * `poison`, with the rule it broke, and goes to the dead-letter topic instead of being retried;
 * an event of a type the group does not subscribe to is `filtered`, as the mapping's filter
 * drops such records in structured mode.
 */
export function decodeEvent(
  value: Buffer | undefined,
  headers: Readonly<Record<string, string>>,
  subscribed: ReadonlyMap<string, ContextEvent>,
): Decoded {
  const read = readCloudEvent(value, headers);
  if (!read.ok) return { verdict: "poison", reason: read.reason, detail: read.detail };
  const { event } = read;

  const definition = subscribed.get(event.type);
  if (!definition) {
    return {
      verdict: "filtered",
      reason: FilterReason.NotSubscribed,
      detail: `type "${event.type}" is not one this group subscribes to (${[...subscribed.keys()].join(", ")})`,
    };
  }
  const data = definition.schema.safeParse(event.data);
  if (!data.success) {
    return { verdict: "poison", reason: PoisonReason.SchemaInvalid, detail: `${definition.type} data: ${schemaProblems(data.error).join("; ")}` };
  }
  const correlationId = event.extensions.correlationid;
  return {
    verdict: "event",
    definition,
    event: {
      id: event.id,
      type: event.type,
      source: event.source,
      subject: event.subject,
      time: event.time,
      data: data.data,
      correlationId: typeof correlationId === "string" ? correlationId : undefined,
      mode: event.mode,
      dataschema: event.dataschema,
      datacontenttype: event.datacontenttype,
      extensions: event.extensions,
    },
  };
}

/**
 * What must be equal for two deliveries of one event id to be the same event: type, source,
 * subject and data (not `time`, which a producer's retry may set anew). The idempotency store
 * keeps it for the deduplication window, so its text must never change: the SHA-256 of
 * `JSON.stringify([type, source, subject ?? null, data with every object's keys sorted])`.
 */
export function contentDigest(event: Pick<ReceivedEnvelope, "type" | "source" | "subject" | "data">): string {
  const canonical = JSON.stringify([event.type, event.source, event.subject ?? null, sortKeys(event.data)]);
  return hash("sha256", canonical, "base64url").slice(0, 22);
}

/**
 * A copy of `value` with every object's keys sorted, as `Object.fromEntries` of the sorted
 * entries would make it, but assigned key by key: objects of one shape then share V8's hidden
 * classes, and the copy costs half (it was a tenth of the wrapper's time per record). An own
 * `__proto__` key (JSON.parse makes one) would set the prototype when assigned: it takes the
 * `fromEntries` path, which defines it.
 */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value).sort();
  const members = value as Record<string, unknown>;
  if (keys.includes("__proto__")) return Object.fromEntries(keys.map((key) => [key, sortKeys(members[key])]));
  const sorted: Record<string, unknown> = {};
  for (const key of keys) sorted[key] = sortKeys(members[key]);
  return sorted;
}
