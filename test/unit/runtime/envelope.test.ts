import { CloudEvent } from "cloudevents";
import * as z from "zod";
import { defineContext, defineEvent } from "../../../platform/model";
import { PoisonReason } from "../../../platform/runtime/dead-letter";
import { createHash } from "node:crypto";
import { contentDigest, dataSchema, decodeEvent, eventId, toCloudEvent, toKafkaRecord } from "../../../platform/runtime/envelope";

const Placed = defineEvent({ name: "OrderPlaced", schema: z.object({ orderId: z.string(), totalCents: z.number().int() }) });
const orders = defineContext({ name: "orders", events: [Placed] });
const subscribed = new Map([[orders.events.OrderPlaced.type, orders.events.OrderPlaced]]);
const EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:dev-orders:run-1";

function encoded(event = toCloudEvent({ event: orders.events.OrderPlaced, key: "o-1", data: { orderId: "o-1", totalCents: 100 }, executionId: EXECUTION, state: "Placed" })) {
  const record = toKafkaRecord(event);
  return { value: Buffer.from(record.value), headers: record.headers };
}

describe("eventId", () => {
  it("never changes: consumers deduplicate on it, and a redrive must find the ids already published", () => {
    expect(eventId({ executionId: EXECUTION, state: "Placed" })).toBe("d93d8c7f-5a7d-5d26-ba8f-860987270cf7");
    expect(eventId({ executionId: EXECUTION, state: "Placed", mapIndex: "2.0", occurrence: 3 })).toBe("9b4f5baf-dc18-5394-90b2-7d955938d058");
  });

  it("is the same for the same execution, state and map index", () => {
    expect(eventId({ executionId: EXECUTION, state: "Placed" })).toBe(eventId({ executionId: EXECUTION, state: "Placed" }));
    expect(eventId({ executionId: EXECUTION, state: "Placed", mapIndex: 2 })).toBe(eventId({ executionId: EXECUTION, state: "Placed", mapIndex: 2 }));
  });

  it("differs when any part of the origin differs", () => {
    const ids = new Set([
      eventId({ executionId: EXECUTION, state: "Placed" }),
      eventId({ executionId: `${EXECUTION}x`, state: "Placed" }),
      eventId({ executionId: EXECUTION, state: "Rejected" }),
      eventId({ executionId: EXECUTION, state: "Placed", mapIndex: 0 }),
      eventId({ executionId: EXECUTION, state: "Placed", mapIndex: 1 }),
    ]);
    expect(ids.size).toBe(5);
  });

  it("is a UUID", () => {
    expect(eventId({ executionId: EXECUTION, state: "Placed" })).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("toCloudEvent / toKafkaRecord", () => {
  it.each([
    ["a plain milestone", {}],
    ["inside a Map, with its trace", { mapIndex: "2.0", trace: { traceparent: "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01", tracestate: "vendor=1" } }],
    ["a loop's pass, a key with spaces and slashes", { occurrence: 3, key: "order 7/a" }],
  ])("builds an event the SDK's strict check passes: %s", (_, extra) => {
    // Act: built without the SDK's per-event validation
    const event = toCloudEvent({ event: orders.events.OrderPlaced, key: "o-1", data: { orderId: "o-1", totalCents: 100 }, executionId: EXECUTION, state: "Placed", ...extra });

    // Assess: the strict constructor validates, and would throw
    expect(new CloudEvent({ ...event.toJSON() }).validate()).toBe(true);
  });

  it("builds a structured-mode CloudEvent keyed by the entity", () => {
    // Act
    const event = toCloudEvent({
      event: orders.events.OrderPlaced,
      key: "o-1",
      data: { orderId: "o-1", totalCents: 100 },
      executionId: EXECUTION,
      state: "Placed",
      time: "2026-11-26T10:00:00.000Z",
    });
    const record = toKafkaRecord(event);

    // Assess
    expect(record.key).toBe("o-1");
    expect(record.headers).toEqual({ "content-type": "application/cloudevents+json; charset=utf-8" });
    expect(JSON.parse(record.value)).toEqual({
      specversion: "1.0",
      id: eventId({ executionId: EXECUTION, state: "Placed" }),
      type: "orders.OrderPlaced",
      source: "orders",
      subject: "o-1",
      time: "2026-11-26T10:00:00.000Z",
      datacontenttype: "application/json",
      dataschema: "urn:ensemble:schema:orders.OrderPlaced:v1",
      data: { orderId: "o-1", totalCents: 100 },
      correlationid: EXECUTION,
      partitionkey: "o-1",
    });
    expect(dataSchema(orders.events.OrderPlaced)).toBe("urn:ensemble:schema:orders.OrderPlaced:v1");
  });
});

describe("decodeEvent", () => {
  it("decodes a published event with its envelope and parsed data", () => {
    const { value, headers } = encoded();
    const decoded = decodeEvent(value, headers, subscribed);
    expect(decoded).toMatchObject({
      verdict: "event",
      event: {
        type: "orders.OrderPlaced",
        source: "orders",
        subject: "o-1",
        mode: "structured",
        data: { orderId: "o-1", totalCents: 100 },
        correlationId: EXECUTION,
        dataschema: "urn:ensemble:schema:orders.OrderPlaced:v1",
        extensions: { correlationid: EXECUTION, partitionkey: "o-1" },
      },
    });
  });

  it.each([
    ["an empty value", Buffer.alloc(0), PoisonReason.EmptyValue, "the record has no value"],
    ["a missing value", undefined, PoisonReason.EmptyValue, "the record has no value"],
    ["a value that is not JSON", Buffer.from("not json {"), PoisonReason.NotJson, "the value is not JSON: "],
  ])("rejects %s", (_, value, reason, detail) => {
    const decoded = decodeEvent(value, { "content-type": "application/cloudevents+json" }, subscribed);
    expect(decoded).toMatchObject({ verdict: "poison", reason });
    expect(decoded.verdict === "poison" && decoded.detail).toContain(detail);
  });

  it("reads a structured event whose producer left the content type out", () => {
    const { value } = encoded();
    expect(decodeEvent(value, {}, subscribed)).toMatchObject({ verdict: "event", event: { mode: "structured", subject: "o-1" } });
  });

  it("rejects JSON that is not a CloudEvent", () => {
    const decoded = decodeEvent(Buffer.from(JSON.stringify({ orderId: "o-1" })), { "content-type": "application/cloudevents+json" }, subscribed);
    expect(decoded).toMatchObject({ verdict: "poison", reason: PoisonReason.NotCloudEvent });
  });

  it("filters a type the group does not subscribe to, as the mapping's filter would", () => {
    const { value, headers } = encoded();
    const decoded = decodeEvent(value, headers, new Map());
    expect(decoded).toEqual({ verdict: "filtered", reason: "not-subscribed", detail: 'type "orders.OrderPlaced" is not one this group subscribes to ()' });
  });

  it("rejects data that fails the schema, naming the field", () => {
    const bad = toCloudEvent({ event: orders.events.OrderPlaced, key: "o-1", data: { orderId: "o-1", totalCents: 1.5 }, executionId: EXECUTION, state: "Placed" });
    const { value, headers } = encoded(bad);
    const decoded = decodeEvent(value, headers, subscribed);
    expect(decoded).toMatchObject({ verdict: "poison", reason: PoisonReason.SchemaInvalid });
    expect(decoded.verdict === "poison" && decoded.detail).toMatch(/^orders\.OrderPlaced data: totalCents: /);
  });
});

describe("contentDigest", () => {
  // The digest as first defined: the idempotency store keeps digests for days, so it must not change.
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  };
  const firstDefinition = (event: { type: string; source: string; subject?: string | undefined; data: unknown }) =>
    createHash("sha256")
      .update(JSON.stringify([event.type, event.source, event.subject ?? null, sortKeys(event.data)]))
      .digest("base64url")
      .slice(0, 22);

  class Money {
    constructor(readonly cents: number) {}
  }

  it.each([
    ["an order", { orderId: "o-1", lines: [{ sku: "B", quantity: 2 }, { sku: "A", quantity: 1 }], totalCents: 12345, currency: "EUR" }],
    ["nested objects with unsorted keys", { z: { y: 1, x: [{ b: 2, a: 1 }] }, a: null, m: "ünïcødé \u2028 \"quoted\"" }],
    ["undefined members and array holes", { kept: 1, dropped: undefined, list: [undefined, 1, () => 1], fn: () => 1 }],
    ["numbers JSON cannot write", { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negativeZero: -0, small: 1e-7, big: 1e21 }],
    ["integer-like keys, which a plain object orders first", { b: 1, 10: "ten", 9: "nine", a: 2 }],
    ["a Date and a class instance", { at: new Date("2025-01-01T00:00:00Z"), money: new Money(5) }],
    ["an object with its own toJSON", { custom: { toJSON: () => "custom", a: 1 } }],
    ["an object without a prototype", Object.assign(Object.create(null) as object, { b: 2, a: 1 })],
    ["a bare string", "text"],
    ["nothing", undefined],
    ["an empty object and array", { o: {}, a: [] }],
    ["an own __proto__ key, as JSON.parse makes it", JSON.parse('{"b":1,"__proto__":{"x":1},"a":2}') as unknown],
  ])("is the first definition's digest for %s", (_, data) => {
    // Prepare
    const event = { type: "orders.OrderPlaced", source: "orders", subject: "o-1", data };

    // Act / Assess
    expect(contentDigest(event)).toBe(firstDefinition(event));
    expect(contentDigest({ ...event, subject: undefined })).toBe(firstDefinition({ ...event, subject: undefined }));
  });
});
