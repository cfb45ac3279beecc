import { onFailureRecord, toMskEvent } from "../../../platform/local/event-source-mapping";
import { DEAD_LETTER_MAX_MESSAGE_BYTES, DEAD_LETTER_PREFIX_BYTES, DeadLetterHeaders, OnFailureReason, PoisonReason, TOPIC_MAX_MESSAGE_BYTES } from "../../../platform/model";
import { deadLetterMessage } from "../../../platform/runtime/dead-letter";
import type { KafkaRecord } from "../../../platform/runtime/msk";
import { recordBatchBytes } from "../../../platform/runtime/record-size";

/** A record as the mapping delivers it, with a value of `bytes` bytes. */
function recordOf(bytes: number): KafkaRecord {
  const message = { key: Buffer.from("o-1"), value: Buffer.alloc(bytes, "a"), headers: { "content-type": "application/cloudevents+json" }, offset: "42", timestamp: "1700000000000", attributes: 0 };
  return toMskEvent([{ topic: "orders.events", partition: 2, messages: [message] }]).records["orders.events-2"]![0]!;
}

const header = (headers: unknown, name: string) => (headers as Record<string, Buffer | string | undefined>)[name]?.toString();

describe("deadLetterMessage", () => {
  it("copies a record unchanged, with its own headers and the dead-letter headers", () => {
    // Act
    const message = deadLetterMessage("notify-customer", recordOf(100), PoisonReason.SchemaInvalid, "orders.OrderPlaced data: totalCents: expected int");

    // Assess
    expect(message.key?.toString()).toBe("o-1");
    expect((message.value as Buffer).length).toBe(100);
    expect(header(message.headers, "content-type")).toBe("application/cloudevents+json");
    expect(header(message.headers, DeadLetterHeaders.Reason)).toBe("schema-invalid");
    expect(header(message.headers, DeadLetterHeaders.SourceOffset)).toBe("42");
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBeUndefined();
  });

  it("copies a record at the context topic's limit whole: the dead-letter topic has room for it", () => {
    // Prepare: a record the source topic takes, 200 bytes short of its limit
    const record = recordOf(TOPIC_MAX_MESSAGE_BYTES - 200);
    expect(recordBatchBytes({ key: "o-1", value: Buffer.alloc(TOPIC_MAX_MESSAGE_BYTES - 200), headers: { "content-type": "application/cloudevents+json" } })).toBeLessThanOrEqual(TOPIC_MAX_MESSAGE_BYTES);

    // Act
    const message = deadLetterMessage("notify-customer", record, PoisonReason.SchemaInvalid, "orders.OrderPlaced data: lines: too many");

    // Assess
    expect((message.value as Buffer).length).toBe(TOPIC_MAX_MESSAGE_BYTES - 200);
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBeUndefined();
    expect(recordBatchBytes(message as never)).toBeLessThanOrEqual(DEAD_LETTER_MAX_MESSAGE_BYTES);
  });

  it("writes a reference for a record whose copy would exceed the dead-letter topic's max.message.bytes", () => {
    // Prepare: a record larger than Ensemble's topics take (another cluster's topic may take it)
    const record = recordOf(DEAD_LETTER_MAX_MESSAGE_BYTES);

    // Act
    const message = deadLetterMessage("notify-customer", record, PoisonReason.SchemaInvalid, "orders.OrderPlaced data: lines: too many");

    // Assess: a bounded prefix, the source coordinates, a flag and the reason; it fits the topic
    expect((message.value as Buffer).length).toBe(DEAD_LETTER_PREFIX_BYTES);
    expect(message.key).toBeNull();
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBe("true");
    expect({
      reason: header(message.headers, DeadLetterHeaders.Reason),
      topic: header(message.headers, DeadLetterHeaders.SourceTopic),
      partition: header(message.headers, DeadLetterHeaders.SourcePartition),
      offset: header(message.headers, DeadLetterHeaders.SourceOffset),
    }).toEqual({ reason: "schema-invalid", topic: "orders.events", partition: "2", offset: "42" });
    expect(header(message.headers, DeadLetterHeaders.Detail)).toMatch(/^orders\.OrderPlaced data: lines: too many \(record of 2097155 bytes: too large to copy, dead-lettered as a reference to orders\.events 2@42\)$/);
    expect(recordBatchBytes(message as never)).toBeLessThan(DEAD_LETTER_MAX_MESSAGE_BYTES);
  });
});

describe("onFailureRecord", () => {
  const input = (record: KafkaRecord) => ({
    group: "audit-archive",
    record,
    reason: OnFailureReason.RetriesExhausted,
    detail: "reported in batchItemFailures",
    invokeCount: 4,
    batchSize: 1,
    functionError: false,
    eventSource: { eventSourceArn: "arn:aws:kafka:local:0:cluster/c/u", bootstrapServers: "localhost:9092" },
    now: new Date("2026-12-06T00:00:00Z"),
  });

  it("holds the record in AWS's document when it fits", () => {
    // Act
    const message = onFailureRecord(input(recordOf(1_000)));

    // Assess
    expect(JSON.parse(message.value as string).payload.records["orders.events-2"][0].offset).toBe(42);
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBeUndefined();
  });

  it("holds a record at the context topic's limit too, in base64, as Lambda writes it: the dead-letter topic has room", () => {
    // Act
    const message = onFailureRecord(input(recordOf(TOPIC_MAX_MESSAGE_BYTES - 200)));

    // Assess
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBeUndefined();
    expect(recordBatchBytes(message as never)).toBeGreaterThan(TOPIC_MAX_MESSAGE_BYTES);
    expect(recordBatchBytes(message as never)).toBeLessThanOrEqual(DEAD_LETTER_MAX_MESSAGE_BYTES);
  });

  it("writes a reference when the document would exceed the dead-letter topic's max.message.bytes", () => {
    // Act: 1.6 MB of value is 2.1 MB in base64
    const message = onFailureRecord(input(recordOf(1_600_000)));

    // Assess
    expect(header(message.headers, DeadLetterHeaders.Reference)).toBe("true");
    expect(header(message.headers, DeadLetterHeaders.Reason)).toBe("retries-exhausted");
    expect((message.value as Buffer).length).toBe(DEAD_LETTER_PREFIX_BYTES);
    expect(recordBatchBytes(message as never)).toBeLessThan(DEAD_LETTER_MAX_MESSAGE_BYTES);
  });
});
