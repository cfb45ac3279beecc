import { CloudEvent, Kafka as CloudEventsKafka, type Message } from "cloudevents";
import { v5 as uuidv5 } from "uuid";
import type { ContextEvent } from "../model";
import { PoisonReason } from "./dead-letter";
import { schemaProblems } from "./schema";

/** Namespace of Ensemble's name-based (v5) event ids; never change it, or ids stop matching. */
const EVENT_ID_NAMESPACE = "7d7f4c52-5b0e-4c4a-9a7e-1f2c0e3b9d41";

/** CloudEvents structured mode: the whole event is JSON in the record value. */
export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

/** Where a milestone was reached: the same place always yields the same event id. */
export interface MilestoneOrigin {
  /** The Step Functions execution ARN (`$$.Execution.Id`). */
  readonly executionId: string;
  /** The milestone state's name, written into the task's Parameters by the helper. */
  readonly state: string;
  /** `$$.Map.Item.Index` when the milestone runs inside a Map iteration. */
  readonly mapIndex?: number | undefined;
}

/**
 * The event id of a milestone: a UUID v5 of execution id, state name and Map index, so a
 * retried publish produces the same id and consumers can drop the duplicate.
 */
export function eventId(origin: MilestoneOrigin): string {
  const place = [origin.executionId, origin.state, ...(origin.mapIndex === undefined ? [] : [String(origin.mapIndex)])];
  return uuidv5(place.join("\u0000"), EVENT_ID_NAMESPACE);
}

/** `dataschema` of an event: names the event type and its schema version. */
export function dataSchema(event: Pick<ContextEvent, "type" | "version">): string {
  return `urn:ensemble:schema:${event.type}:v${event.version}`;
}

export interface EnvelopeInput<D> extends MilestoneOrigin {
  readonly event: ContextEvent;
  /** The entity id: CloudEvent `subject` and Kafka key, so one entity's events stay in order. */
  readonly key: string;
  readonly data: D;
  /** @default now */
  readonly time?: Date | string | undefined;
}

/** The CloudEvent a milestone publishes. `correlationid` carries the execution id. */
export function toCloudEvent<D>(input: EnvelopeInput<D>): CloudEvent<D> {
  return new CloudEvent<D>({
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
  });
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
  readonly time: string | undefined;
  readonly data: D;
  /** The publishing execution's id, for correlation across contexts. */
  readonly correlationId: string | undefined;
}

export type Decoded =
  | { readonly ok: true; readonly event: ReceivedEnvelope; readonly definition: ContextEvent }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

/**
 * Decodes a structured-mode CloudEvent from a record's value and headers and validates its data
 * against the subscribed event's schema. A failure says which rule broke: such a record can
 * never succeed, so it goes to the dead-letter topic instead of being retried.
 */
export function decodeEvent(
  value: Buffer | undefined,
  headers: Record<string, string>,
  subscribed: ReadonlyMap<string, ContextEvent>,
): Decoded {
  if (!value || value.length === 0) return { ok: false, reason: PoisonReason.EmptyValue, detail: "the record has no value" };
  const text = value.toString("utf8");
  try {
    JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: PoisonReason.NotJson, detail: `the value is not JSON: ${(error as Error).message}` };
  }

  let cloudEvent: CloudEvent<unknown>;
  try {
    const parsed = CloudEventsKafka.toEvent({ headers, key: "", value: text, body: text } as Message);
    cloudEvent = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown>;
    cloudEvent.validate();
  } catch (error) {
    return { ok: false, reason: PoisonReason.NotCloudEvent, detail: `not a structured-mode CloudEvent 1.0: ${describe(error)}` };
  }

  const definition = subscribed.get(cloudEvent.type);
  if (!definition) {
    return {
      ok: false,
      reason: PoisonReason.UnknownType,
      detail: `type "${cloudEvent.type}" is not one this group subscribes to (${[...subscribed.keys()].join(", ")})`,
    };
  }
  const data = definition.schema.safeParse(cloudEvent.data);
  if (!data.success) {
    return { ok: false, reason: PoisonReason.SchemaInvalid, detail: `${definition.type} data: ${schemaProblems(data.error).join("; ")}` };
  }
  return {
    ok: true,
    definition,
    event: {
      id: cloudEvent.id,
      type: cloudEvent.type,
      source: cloudEvent.source,
      subject: cloudEvent.subject,
      time: cloudEvent.time,
      data: data.data,
      correlationId: typeof cloudEvent.correlationid === "string" ? cloudEvent.correlationid : undefined,
    },
  };
}

function describe(error: unknown): string {
  const details = (error as { errors?: unknown }).errors;
  const message = error instanceof Error ? error.message : String(error);
  return details ? `${message} ${JSON.stringify(details)}` : message;
}
