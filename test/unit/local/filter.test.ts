import { filterPatterns } from "../../../platform/model/consumer-group-plan";
import { compileFilters } from "../../../platform/local/event-source-mapping";
import { readValueJson } from "../../../platform/local/event-source-mapping/filter";
import { describeRecord } from "../../../platform/local/event-source-mapping/observer";

// The exact patterns the infra gives AWS for a group subscribing to two types of one context.
const accepts = compileFilters(filterPatterns(["orders.OrderPlaced", "orders.OrderRejected"]));
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("compileFilters with the patterns of filterPatterns()", () => {
  /** A structured-mode CloudEvent: what MSK's filter can recognise by `specversion` and `type` in the value. */
  const structured = (type: unknown) => json({ specversion: "1.0", id: "1", source: "orders", type, data: {} });

  it("accepts structured events of the subscribed types, exactly", () => {
    // Act / Assess
    expect(accepts(structured("orders.OrderPlaced"))).toBe(true);
    expect(accepts(structured("orders.OrderRejected"))).toBe(true);
    expect(accepts(structured("orders.orderplaced"))).toBe(false); // no case folding
    expect(accepts(structured("orders.OrderPlaced "))).toBe(false);
  });

  it("drops structured events whose type is another value", () => {
    // Act / Assess
    expect(accepts(structured("billing.InvoiceSent"))).toBe(false);
    expect(accepts(structured(42))).toBe(false);
    expect(accepts(structured(null))).toBe(false);
  });

  it("accepts JSON without a specversion: binary-mode data, whose type only the wrapper can read", () => {
    // Act / Assess: the data of a binary-mode event may even have a `type` of its own
    expect(accepts(json({ orderId: "o-1", type: "express" }))).toBe(true);
    expect(accepts(json({ orderId: "o-1" }))).toBe(true);
    expect(accepts(json([1, 2, 3]))).toBe(true);
    expect(accepts(json("a JSON string"))).toBe(true);
    expect(accepts(json(null))).toBe(true);
  });

  it("accepts a structured event without a type, so the wrapper can dead-letter it", () => {
    // Act / Assess
    expect(accepts(json({ specversion: "1.0", id: "1", source: "orders" }))).toBe(true);
    // `exists` sees leaves only: an object under `type` is no type at all.
    expect(accepts(json({ specversion: "1.0", type: { name: "orders.OrderPlaced" } }))).toBe(true);
  });

  it("drops values that are not UTF-8 JSON, and empty values", () => {
    // Act / Assess
    expect(accepts(Buffer.from("this is not JSON"))).toBe(false);
    expect(accepts(Buffer.from('{"type":"orders.OrderPlaced"'))).toBe(false);
    expect(accepts(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]))).toBe(false);
    expect(accepts(null)).toBe(false);
    expect(accepts(Buffer.alloc(0))).toBe(false);
  });

  it("looks inside arrays as EventBridge does", () => {
    // Act / Assess
    expect(accepts(json([{ specversion: "1.0", type: "orders.OrderPlaced" }]))).toBe(true);
    expect(accepts(json([{ specversion: "1.0", type: "billing.InvoiceSent" }]))).toBe(false);
  });
});

describe("compileFilters in general", () => {
  it("accepts everything without patterns", () => {
    // Act / Assess
    expect(compileFilters([])(Buffer.from("not JSON"))).toBe(true);
  });

  it("ORs patterns and ANDs the fields of one pattern", () => {
    // Prepare
    const filter = compileFilters([
      JSON.stringify({ value: { type: ["a"], source: ["s1"] } }),
      JSON.stringify({ value: { type: ["b"] } }),
    ]);

    // Act / Assess
    expect(filter(json({ type: "a", source: "s1" }))).toBe(true);
    expect(filter(json({ type: "a", source: "s2" }))).toBe(false);
    expect(filter(json({ type: "b", source: "s2" }))).toBe(true);
  });

  it("matches exists: true on leaves only, and null literally", () => {
    // Prepare
    const exists = compileFilters([JSON.stringify({ value: { data: { id: [{ exists: true }] } } })]);
    const isNull = compileFilters([JSON.stringify({ value: { subject: [null] } })]);

    // Act / Assess
    expect(exists(json({ data: { id: "x" } }))).toBe(true);
    expect(exists(json({ data: { id: { nested: 1 } } }))).toBe(false);
    expect(exists(json({ data: {} }))).toBe(false);
    expect(isNull(json({ subject: null }))).toBe(true);
    expect(isNull(json({}))).toBe(false);
  });

  it("refuses operators and keys it does not implement, rather than ignore them", () => {
    // Act / Assess
    expect(() => compileFilters([JSON.stringify({ value: { type: [{ prefix: "orders." }] } })])).toThrow(/not supported locally/);
    expect(() => compileFilters([JSON.stringify({ key: ["k"] })])).toThrow(/only on "value"/);
    expect(() => compileFilters([JSON.stringify({ value: { type: "orders.OrderPlaced" } })])).toThrow(/arrays of rules/);
  });
});

describe("a compiled filter over a value read once", () => {
  it("answers for the parsed value as for the raw one, non-JSON and invalid UTF-8 included", () => {
    // Prepare
    const values = [
      json({ specversion: "1.0", id: "1", source: "orders", type: "orders.OrderPlaced", data: {} }),
      json({ specversion: "1.0", id: "1", source: "orders", type: "billing.InvoiceSent", data: {} }),
      json({ orderId: "o-1" }),
      Buffer.from("{oops"),
      Buffer.from([0x7b, 0xff, 0x7d]),
      Buffer.alloc(0),
      null,
    ];
    const none = compileFilters([]);

    // Act / Assess
    for (const value of values) {
      expect(accepts.acceptsJson(readValueJson(value))).toBe(accepts(value));
      expect(none.acceptsJson(readValueJson(value))).toBe(none(value));
    }
  });

  it("lets describeRecord take the parsed value, and read the value itself when it is not strict UTF-8", () => {
    // Prepare
    const message = (value: Buffer) => ({ key: Buffer.from("k"), value, offset: "7", timestamp: "0", attributes: 0, headers: {} });
    const event = json({ specversion: "1.0", id: "e-1", source: "orders", type: "orders.OrderPlaced" });
    const lenient = Buffer.concat([Buffer.from('{"id":"e-2","type":"t","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);

    // Act / Assess
    expect(describeRecord("t", 0, message(event), readValueJson(event))).toEqual(describeRecord("t", 0, message(event)));
    expect(describeRecord("t", 0, message(lenient), readValueJson(lenient))).toEqual({ topic: "t", partition: 0, offset: 7, key: "k", id: "e-2", type: "t" });
  });
});
