import type { KafkaMessage } from "kafkajs";
import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { isKafkaEvent, type KafkaBatchResponse, type KafkaEvent, recordHeaders, recordKey, recordsByPartition, recordValue } from "../../../platform/runtime/msk";
import { loadFixture } from "../../support/fixtures";

/** Every property path of a JSON value with its type, arrays collapsed: the shape, not the data. */
function shape(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return [`${path}: array`, ...value.slice(0, 1).flatMap((item) => shape(item, `${path}[]`))];
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, child]) => shape(child, `${path}.${/^[a-z]+-\d+$/.test(key) ? "<topic-partition>" : /^[a-z]/i.test(key) && path.endsWith("headers[]") ? "<header>" : key}`));
  }
  return [`${path}: ${typeof value}`];
}

describe("the MSK event shape", () => {
  it("reads the event of AWS's documentation", () => {
    // Prepare
    const event = loadFixture<KafkaEvent>("msk/aws-docs-event.json");

    // Act
    const [[partitionKey, records]] = recordsByPartition(event) as [[string, KafkaEvent["records"][string]]];
    const record = records[0]!;

    // Assess
    expect(isKafkaEvent(event)).toBe(true);
    expect(partitionKey).toBe("mytopic-0");
    expect(recordValue(record)?.toString()).toBe("Hello, this is a test.");
    expect(recordHeaders(record)).toEqual({ headerKey: "headerValue" });
    expect(recordKey(record)).toBeInstanceOf(Buffer);
  });

  it("reads header values as UTF-8 text, multi-byte, invalid and long ones included, as Buffer decodes them", () => {
    // Prepare
    const values = ["", "application/cloudevents+json", "Zürich ✓ 𝄞", "x".repeat(300) + "é", "a".repeat(1000)].map((text) => [...Buffer.from(text)]);
    const invalid = [0x61, 0xff, 0xc3];
    const record = { topic: "t", partition: 0, offset: 0, timestamp: 0, timestampType: "CREATE_TIME", value: "", headers: [...values, invalid].map((bytes, index) => ({ [`h${index}`]: bytes })) };

    // Act
    const headers = recordHeaders(record as KafkaEvent["records"][string][number]);

    // Assess
    expect(Object.values(headers)).toEqual([...values, invalid].map((bytes) => Buffer.from(bytes).toString("utf8")));
  });

  it("is what the local event source mapping builds from kafkajs messages", () => {
    // Prepare
    const documented = loadFixture<KafkaEvent>("msk/aws-docs-event.json");
    const message: KafkaMessage = {
      key: Buffer.from("k"),
      value: Buffer.from("Hello, this is a test."),
      headers: { headerKey: Buffer.from("headerValue") },
      offset: "15",
      timestamp: "1545084650987",
      attributes: 0,
    };

    // Act
    const built = toMskEvent([{ topic: "mytopic", partition: 0, messages: [message] }], {
      eventSourceArn: documented.eventSourceArn,
      bootstrapServers: documented.bootstrapServers,
    });

    // Assess
    expect(shape(built).sort()).toEqual(shape(documented).sort());
    expect(built.records["mytopic-0"]![0]).toMatchObject({ value: documented.records["mytopic-0"]![0]!.value, headers: documented.records["mytopic-0"]![0]!.headers });
  });

  it("rejects what is not a Kafka event", () => {
    expect(isKafkaEvent({ Records: [] })).toBe(false);
    expect(isKafkaEvent({ eventSource: "aws:sqs", records: {} })).toBe(false);
    expect(isKafkaEvent({ eventSource: "aws:kafka", records: { "t-0": {} } })).toBe(false);
    expect(isKafkaEvent(null)).toBe(false);
  });

  it("documents the partial batch response shape", () => {
    const response = loadFixture<KafkaBatchResponse>("msk/partial-batch-response.json");
    expect(response.batchItemFailures[0]!.itemIdentifier).toEqual({ partition: "mytopic-0", offset: 15 });
  });
});
