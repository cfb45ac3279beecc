import type { CloudEventV1 } from "cloudevents";
// The SDK's own check of a 1.0 event (its compiled JSON schema and the attribute-name rule), the
// one `CloudEvent#validate` runs, called on the attributes without building a `CloudEvent` per
// record: the constructor copies, defaults and freezes them, and cost as much as the check.
import { validateCloudEvent } from "cloudevents/dist/event/spec";
import { PoisonReason } from "../model";
import { isObject } from "./is-object";

/**
 * Reading a Kafka record as a CloudEvent 1.0, per the Kafka protocol binding: structured mode
 * (`content-type: application/cloudevents+json`, the event in the value) and binary mode
 * (attributes in `ce_*` headers, the data in the value, its type in `content-type`), as the
 * official SDKs of other languages write them.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 *
 * The binding's header mapping is done here rather than by `Kafka.toEvent` of the `cloudevents`
 * SDK (10.0.0), which loses valid events and invents attributes on the way in:
 * - a structured event without `time` throws "Invalid time value" (`new Date(undefined)`), so a
 *   valid event from a producer that leaves the optional `time` out would be dead-lettered;
 * - `new CloudEvent(...)` fills a missing `time` with now, a missing `id` with a random UUID and
 *   a missing `specversion` with "1.0" (sdk-javascript#386, #332, #597), so an event without an
 *   id would pass validation and defeat deduplication;
 * - binary mode is recognised only by `ce_id`, so a binary event missing its id is reported as
 *   "No CloudEvent detected" instead of naming the attribute.
 * The SDK still validates the attributes' formats (`CloudEvent#validate`'s check), once the
 * required ones are known to be present. `test/unit/runtime/cloudevent-record.test.ts` pins each case.
 */

/** A CloudEvent as read from a record: exactly the attributes the record carries. */
export interface ReadCloudEvent {
  readonly mode: "structured" | "binary";
  readonly specversion: string;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  /** Extension attributes, by name (`correlationid`, `traceparent`, `partitionkey`, ...). */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** The data, parsed when it is JSON; `undefined` when the event has none. */
  readonly data: unknown;
}

export type CloudEventRead =
  | { readonly ok: true; readonly event: ReadCloudEvent }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

const REQUIRED = ["id", "source", "specversion", "type"] as const;
const CONTEXT_ATTRIBUTES = new Set(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"]);
const BINARY_PREFIX = "ce_";
const STRUCTURED_JSON = "application/cloudevents+json";
const CLOUDEVENTS_MEDIA = "application/cloudevents";
const CLOUDEVENTS_BATCH = "application/cloudevents-batch";

/** JSON media types: `application/json`, `text/json`, `*\/*+json`, with or without parameters. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = mediaType(contentType);
  return media === "application/json" || media === "text/json" || media.endsWith("+json");
}

/** The media type of a content type, without parameters, lower case. */
function mediaType(contentType: string): string {
  const parameters = contentType.indexOf(";");
  return (parameters < 0 ? contentType : contentType.slice(0, parameters)).trim().toLowerCase();
}

/**
 * Reads `value` and `headers` (header names as written; values as UTF-8 text) as a CloudEvent.
 * Every failure says which rule broke and how the producer can fix it.
 */
export function readCloudEvent(value: Buffer | undefined, headers: Readonly<Record<string, string>>): CloudEventRead {
  // One pass over the headers: the first content-type (names compare case-insensitively) and any ce_ header.
  let contentType: string | undefined;
  let binary = false;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (contentType === undefined && lower === "content-type") contentType = headers[name];
    if (lower.startsWith(BINARY_PREFIX)) binary = true;
  }
  const media = contentType === undefined ? undefined : mediaType(contentType);

  if (media?.startsWith(CLOUDEVENTS_BATCH)) {
    return poison(PoisonReason.UnsupportedContentType, `content-type "${contentType}" is batched mode, which the Kafka binding does not define; send one event per record.`);
  }
  if (media === STRUCTURED_JSON) return readStructured(value);
  if (media?.startsWith(CLOUDEVENTS_MEDIA)) {
    return poison(PoisonReason.UnsupportedContentType, `content-type "${contentType}" is a structured-mode format Ensemble does not read; write application/cloudevents+json or binary mode.`);
  }
  if (binary) return readBinary(value, headers, contentType);
  if (!value || value.length === 0) return poison(PoisonReason.EmptyValue, "the record has no value");
  const parsed = parseJson(value);
  if (!parsed.ok) return poison(PoisonReason.NotJson, `the value is not JSON: ${parsed.error}`);
  // Neither mode's marker: a producer that writes the event as JSON without the content type
  // (or as application/json) still wrote a structured event, when the value says so.
  if ((media === undefined || isJsonMediaType(contentType)) && isObject(parsed.json) && "specversion" in parsed.json) return readStructured(value);
  return poison(
    PoisonReason.NotCloudEvent,
    `no CloudEvent in this record: ${contentType === undefined ? "no content-type header" : `content-type "${contentType}"`} and no ce_ headers; ` +
      `write structured mode (content-type application/cloudevents+json) or binary mode (ce_specversion, ce_id, ce_source, ce_type headers).`,
  );
}

function readStructured(value: Buffer | undefined): CloudEventRead {
  if (!value || value.length === 0) return poison(PoisonReason.EmptyValue, "the record has no value");
  const parsed = parseJson(value);
  if (!parsed.ok) return poison(PoisonReason.NotJson, `the value is not JSON: ${parsed.error}`);
  if (!isObject(parsed.json)) return poison(PoisonReason.NotCloudEvent, "a structured-mode CloudEvent must be a JSON object");
  const { data_base64: dataBase64 } = parsed.json;
  if (dataBase64 !== undefined) {
    if (typeof dataBase64 !== "string") return poison(PoisonReason.NotCloudEvent, "data_base64 must be a base64 string");
    const { data: _data, data_base64: _dataBase64, ...attributes } = parsed.json;
    return finish("structured", attributes, Buffer.from(dataBase64, "base64"));
  }
  // The event object itself is read as the attributes (no copy per record): `data` in it is the
  // data, not an attribute, and the SDK's check accepts any JSON value there.
  return finish("structured", parsed.json, parsed.json.data);
}

function readBinary(value: Buffer | undefined, headers: Readonly<Record<string, string>>, contentType: string | undefined): CloudEventRead {
  const attributes: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(headers)) {
    if (name.toLowerCase().startsWith(BINARY_PREFIX)) attributes[name.slice(BINARY_PREFIX.length).toLowerCase()] = text;
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  return finish("binary", attributes, value && value.length > 0 ? value : undefined);
}

/** Checks the attributes, then decodes the data by its content type. */
function finish(mode: ReadCloudEvent["mode"], attributes: Record<string, unknown>, rawData: unknown): CloudEventRead {
  for (const name of REQUIRED) {
    const value = attributes[name];
    if (typeof value !== "string" || value.length === 0) {
      return poison(PoisonReason.NotCloudEvent, `${mode === "binary" ? `header ${BINARY_PREFIX}${name}` : `attribute "${name}"`} is ${value === undefined ? "missing" : "not a non-empty string"}; every CloudEvent needs id, source, specversion and type.`);
    }
  }
  if (attributes.specversion !== "1.0") {
    return poison(PoisonReason.NotCloudEvent, `specversion "${String(attributes.specversion)}" is not 1.0, the only version Ensemble reads.`);
  }
  const invalid = attributeProblem(attributes);
  if (invalid !== undefined) return poison(PoisonReason.NotCloudEvent, `not a valid CloudEvent 1.0: ${invalid}`);

  const contentType = typeof attributes.datacontenttype === "string" ? attributes.datacontenttype : undefined;
  let data = rawData;
  if (Buffer.isBuffer(rawData)) {
    // Ensemble's events carry JSON data; no content type means JSON too (CloudEvents' JSON default).
    if (contentType !== undefined && !isJsonMediaType(contentType)) {
      return poison(PoisonReason.UnsupportedContentType, `the data's content type "${contentType}" is not JSON; Ensemble's event schemas read JSON data.`);
    }
    const parsed = parseJson(rawData);
    if (!parsed.ok) return poison(PoisonReason.NotJson, `the data is not JSON: ${parsed.error}`);
    data = parsed.json;
  }

  const extensions: Record<string, unknown> = {};
  for (const name in attributes) {
    if (!CONTEXT_ATTRIBUTES.has(name) && !(mode === "structured" && name === "data")) extensions[name] = attributes[name];
  }
  const event: { -readonly [K in keyof ReadCloudEvent]: ReadCloudEvent[K] } = {
    mode,
    specversion: attributes.specversion as string,
    id: attributes.id as string,
    source: attributes.source as string,
    type: attributes.type as string,
    extensions,
    data,
  };
  if (typeof attributes.subject === "string") event.subject = attributes.subject;
  if (typeof attributes.time === "string") event.time = attributes.time;
  if (typeof attributes.datacontenttype === "string") event.datacontenttype = attributes.datacontenttype;
  if (typeof attributes.dataschema === "string") event.dataschema = attributes.dataschema;
  return { ok: true, event };
}

/** Stands in for a missing `time` during the check, as `new CloudEvent()` would put now there. */
const STAND_IN_TIME = new Date(0).toISOString();

/**
 * What `new CloudEvent(attributes, false).validate()` rejects, in its words; `undefined` when it
 * accepts them. The constructor's part is done here: a falsy `time` replaced (the SDK invents
 * one), `schemaurl`, a 0.3 attribute, refused on a 1.0 event, and a `data_base64` attribute (a
 * binary-mode header) decoded with `atob`, which throws on what is not base64.
 */
function attributeProblem(attributes: Record<string, unknown>): string | undefined {
  if (attributes.schemaurl) return "cannot set schemaurl on version 1.0 event";
  try {
    if (attributes.data_base64) atob(String(attributes.data_base64));
    validateCloudEvent((attributes.time ? attributes : { ...attributes, time: STAND_IN_TIME }) as unknown as CloudEventV1<unknown>);
    return undefined;
  } catch (error) {
    return describe(error);
  }
}

function parseJson(bytes: Buffer | undefined): { ok: true; json: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, json: JSON.parse((bytes ?? Buffer.alloc(0)).toString("utf8")) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}


function poison(reason: PoisonReason, detail: string): CloudEventRead {
  return { ok: false, reason, detail };
}

function describe(error: unknown): string {
  const details = (error as { errors?: unknown }).errors;
  const message = error instanceof Error ? error.message : String(error);
  return details ? `${message} ${JSON.stringify(details)}` : message;
}
