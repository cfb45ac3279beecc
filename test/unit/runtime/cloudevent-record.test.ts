import { CloudEvent, type CloudEventV1, Kafka } from "cloudevents";
import * as z from "zod";
import { defineContext, defineEvent, PoisonReason } from "../../../platform/model";
import { readCloudEvent } from "../../../platform/runtime/cloudevent-record";
import { decodeEvent } from "../../../platform/runtime/envelope";
import javaFixture from "../../fixtures/cloudevents/java-sdk.json";
import pythonFixture from "../../fixtures/cloudevents/python-sdk.json";

/** A record as a fixture file holds it: base64 key, value and header values. */
interface FixtureRecord {
  readonly name: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A fixture file: which SDK wrote the records, and the records. */
interface Fixture {
  readonly sdk: string;
  readonly records: readonly FixtureRecord[];
}
const javaSdk = javaFixture as unknown as Fixture;
const pythonSdk = pythonFixture as unknown as Fixture;

const decode = (record: FixtureRecord) => ({
  value: Buffer.from(record.value, "base64"),
  headers: Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, Buffer.from(value, "base64").toString("utf8")])),
});

// Another team's context, as a group of ours would subscribe to it.
const OrderPlaced = defineEvent({
  name: "OrderPlaced",
  schema: z.object({ orderId: z.string(), totalCents: z.number().int(), type: z.string().optional() }),
});
const partner = defineContext({ name: "partner", events: [OrderPlaced] });
const subscribed = new Map([[partner.events.OrderPlaced.type, partner.events.OrderPlaced]]);

describe("readCloudEvent with records written by other languages' official SDKs", () => {
  const fixtures = [
    ...javaSdk.records.map((record) => ({ sdk: javaSdk.sdk, record })),
    ...pythonSdk.records.map((record) => ({ sdk: pythonSdk.sdk, record })),
  ];

  it.each(fixtures.map(({ sdk, record }) => [`${sdk}: ${record.name}`, record]))("delivers %s", (_, record) => {
    // Prepare
    const { value, headers } = decode(record as FixtureRecord);
    const full = (record as FixtureRecord).name.includes("every optional attribute");

    // Act
    const decoded = decodeEvent(value, headers, subscribed);

    // Assess: the event, with exactly the attributes the producer set, its extensions kept
    expect(decoded.verdict).toBe("event");
    if (decoded.verdict !== "event") return;
    expect(decoded.event).toMatchObject({
      type: "partner.OrderPlaced",
      source: "https://partner.example/orders",
      mode: (record as FixtureRecord).name.startsWith("binary") ? "binary" : "structured",
      data: { orderId: "o-7", totalCents: 1250, type: "express" },
    });
    if (full) {
      expect(decoded.event).toMatchObject({
        subject: "o-7",
        time: "2026-12-01T10:00:00Z",
        dataschema: "https://partner.example/schemas/order-placed.json",
        datacontenttype: "application/json",
        extensions: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", partitionkey: "o-7" },
      });
    } else {
      expect(decoded.event.subject).toBeUndefined();
      expect(decoded.event.dataschema).toBeUndefined();
      expect(decoded.event.extensions).toEqual({});
    }
  });

  it("leaves time absent when the producer left it out (the Java SDK does), rather than inventing one", () => {
    // Prepare
    const minimal = javaSdk.records.filter((record) => !record.name.includes("every optional attribute"));

    // Act
    const times = minimal.map((record) => {
      const { value, headers } = decode(record);
      const read = readCloudEvent(value, headers);
      return read.ok ? read.event.time : `not read: ${read.detail}`;
    });

    // Assess
    expect(times).toEqual([undefined, undefined]);
  });
});

describe("the cloudevents SDK's own Kafka binding (10.0.0), which readCloudEvent works around", () => {
  // When this starts failing, the SDK has fixed its reader: platform/runtime/cloudevent-record.ts can lean on it again.
  const minimalStructured = javaSdk.records.find((record) => record.name.startsWith("structured, required"))!;
  const minimalBinary = javaSdk.records.find((record) => record.name.startsWith("binary, required"))!;
  const asMessage = (record: FixtureRecord) => {
    const { value, headers } = decode(record);
    return { key: "", value: value.toString("utf8"), body: value.toString("utf8"), headers };
  };

  it("throws on a structured event without time, and invents a time for a binary one without", () => {
    // Act / Assess
    expect(() => Kafka.toEvent(asMessage(minimalStructured) as never)).toThrow("Invalid time value");
    const binary = Kafka.toEvent(asMessage(minimalBinary) as never) as { time?: string };
    expect(binary.time).toEqual(expect.any(String));
  });
});

describe("readCloudEvent on records that are not valid CloudEvents", () => {
  const structured = (event: Record<string, unknown>) => ({ value: Buffer.from(JSON.stringify(event)), headers: { "content-type": "application/cloudevents+json" } });
  const valid = { specversion: "1.0", id: "e-1", source: "partner", type: "partner.OrderPlaced", data: { orderId: "o-1", totalCents: 1 } };
  const binaryHeaders = { ce_specversion: "1.0", ce_id: "e-1", ce_source: "partner", ce_type: "partner.OrderPlaced", "content-type": "application/json" };
  const without = (name: string) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));
  const withoutHeader = (name: string) => Object.fromEntries(Object.entries(binaryHeaders).filter(([key]) => key !== name));
  const data = Buffer.from(JSON.stringify({ orderId: "o-1", totalCents: 1 }));

  it.each([
    ["structured, no id", structured(without("id")), PoisonReason.NotCloudEvent, 'attribute "id" is missing'],
    ["structured, no source", structured(without("source")), PoisonReason.NotCloudEvent, 'attribute "source" is missing'],
    ["structured, no specversion", structured(without("specversion")), PoisonReason.NotCloudEvent, 'attribute "specversion" is missing'],
    ["structured, no type", structured(without("type")), PoisonReason.NotCloudEvent, 'attribute "type" is missing'],
    ["structured, an empty id", structured({ ...valid, id: "" }), PoisonReason.NotCloudEvent, 'attribute "id" is not a non-empty string'],
    ["structured, specversion 0.3", structured({ ...valid, specversion: "0.3" }), PoisonReason.NotCloudEvent, 'specversion "0.3" is not 1.0'],
    ["structured, a time that is no time", structured({ ...valid, time: "yesterday" }), PoisonReason.NotCloudEvent, "not a valid CloudEvent 1.0"],
    ["binary, no ce_id", { value: data, headers: withoutHeader("ce_id") }, PoisonReason.NotCloudEvent, "header ce_id is missing"],
    ["binary, no ce_source", { value: data, headers: withoutHeader("ce_source") }, PoisonReason.NotCloudEvent, "header ce_source is missing"],
    ["binary, no ce_specversion", { value: data, headers: withoutHeader("ce_specversion") }, PoisonReason.NotCloudEvent, "header ce_specversion is missing"],
    ["binary, no ce_type", { value: data, headers: withoutHeader("ce_type") }, PoisonReason.NotCloudEvent, "header ce_type is missing"],
    ["binary, data that is not JSON", { value: Buffer.from("{oops"), headers: binaryHeaders }, PoisonReason.NotJson, "the data is not JSON"],
    ["binary, text data", { value: Buffer.from("hello"), headers: { ...binaryHeaders, "content-type": "text/plain" } }, PoisonReason.UnsupportedContentType, '"text/plain" is not JSON'],
    ["structured, an XML event format", { value: Buffer.from("<event/>"), headers: { "content-type": "application/cloudevents+xml" } }, PoisonReason.UnsupportedContentType, "structured-mode format"],
    ["batched mode", { value: Buffer.from("[]"), headers: { "content-type": "application/cloudevents-batch+json" } }, PoisonReason.UnsupportedContentType, "batched mode"],
    ["a CloudEvent labelled text/plain", { value: structured(valid).value, headers: { "content-type": "text/plain" } }, PoisonReason.NotCloudEvent, 'content-type "text/plain" and no ce_ headers'],
    ["JSON that is no CloudEvent, without headers", { value: Buffer.from('{"orderId":"o-1"}'), headers: {} }, PoisonReason.NotCloudEvent, "no content-type header and no ce_ headers"],
    ["an empty value, without headers", { value: Buffer.alloc(0), headers: {} }, PoisonReason.EmptyValue, "the record has no value"],
    ["a structured event that is not JSON", { value: Buffer.from("{oops"), headers: { "content-type": "application/cloudevents+json" } }, PoisonReason.NotJson, "the value is not JSON"],
  ] as const)("rejects %s, naming the rule", (_, { value, headers }, reason, detail) => {
    // Act
    const read = readCloudEvent(value, headers);

    // Assess
    expect(read).toMatchObject({ ok: false, reason });
    expect(!read.ok && read.detail).toContain(detail);
  });

  it("reads a binary event without data, and a structured one with data_base64", () => {
    // Act
    const bare = readCloudEvent(undefined, binaryHeaders);
    const base64 = readCloudEvent(Buffer.from(JSON.stringify({ ...without("data"), datacontenttype: "application/json", data_base64: data.toString("base64") })), {
      "content-type": "application/cloudevents+json",
    });

    // Assess
    expect(bare).toMatchObject({ ok: true, event: { mode: "binary", data: undefined } });
    expect(base64).toMatchObject({ ok: true, event: { mode: "structured", data: { orderId: "o-1", totalCents: 1 } } });
  });
});

describe("readCloudEvent's attribute check, beside the SDK's CloudEvent#validate it stands for", () => {
  const valid = { specversion: "1.0", id: "e-1", source: "partner", type: "partner.OrderPlaced" };
  /** What the SDK answered before readCloudEvent called its check directly. */
  const sdkAccepts = (attributes: Record<string, unknown>) => {
    try {
      new CloudEvent({ ...attributes, time: attributes.time ?? new Date(0).toISOString() } as CloudEventV1<unknown>, false).validate();
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ["the required attributes only", {}],
    ["an RFC 3339 time", { time: "2025-01-01T00:00:00.000Z" }],
    ["a time that is no time", { time: "yesterday" }],
    ["an empty time (the SDK invents one)", { time: "" }],
    ["a source that is a URI reference", { source: "/sensors/tn-1234567/alerts" }],
    ["a source that is no URI reference", { source: "a b\\c" }],
    ["a dataschema that is a URI", { dataschema: "urn:ensemble:schema:orders.OrderPlaced:v1" }],
    ["a dataschema that is no absolute URI", { dataschema: "orders/OrderPlaced" }],
    ["an empty subject", { subject: "" }],
    ["a null datacontenttype", { datacontenttype: null }],
    ["a lower-case extension", { correlationid: "x", traceparent: "00-abc" }],
    ["an extension with capitals", { correlationId: "x" }],
    ["an extension with a dash", { "partition-key": "x" }],
    ["schemaurl, a 0.3 attribute", { schemaurl: "https://example.com/schema" }],
    ["a numeric id", { id: 7 }],
    ["a binary data_base64 header that is base64", { data_base64: "eyJhIjoxfQ==" }],
    ["a binary data_base64 header that is not", { data_base64: "!!not base64!!" }],
  ])("agrees with the SDK on %s", (_, extra) => {
    // Prepare
    const attributes: Record<string, unknown> = { ...valid, ...extra };
    const headers = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [`ce_${name}`, value === null ? "" : String(value)]));

    // Act
    const structured = readCloudEvent(Buffer.from(JSON.stringify(attributes)), { "content-type": "application/cloudevents+json" });
    const binary = readCloudEvent(undefined, headers);

    // Assess
    // Structured mode reads data_base64 as the data, not as an attribute; a number reads as no id.
    if (typeof attributes.id === "string" && !("data_base64" in extra)) expect(structured.ok).toBe(sdkAccepts(attributes));
    const binaryAttributes = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.slice(3).toLowerCase(), value]));
    expect(binary.ok).toBe(sdkAccepts(binaryAttributes));
  });
});
