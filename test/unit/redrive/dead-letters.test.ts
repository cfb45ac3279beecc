import type { KafkaMessage } from "kafkajs";
import { DeadLetterFormat, eventOf, readDeadLetter } from "../../../platform/redrive/dead-letters";
import type { KafkaEvent } from "../../../platform/runtime/msk";
import { loadFixture } from "../../support/fixtures";

const message = (fields: Partial<KafkaMessage> & Pick<KafkaMessage, "value">): KafkaMessage =>
  ({ key: null, timestamp: "1700000000000", attributes: 0, offset: "7", headers: {}, ...fields }) as KafkaMessage;

describe("readDeadLetter", () => {
  it("reads an on-failure record as AWS writes it (no Ensemble headers): the payload's records, the reason from its condition", () => {
    // Prepare: the document of https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html, around the docs' MSK event
    const payload = loadFixture<KafkaEvent>("msk/aws-docs-event.json");
    const document = {
      requestContext: { requestId: "r-1", functionArn: "arn:aws:lambda:us-east-1:123456789012:function:dev-notify-customer", condition: "RetriesExhausted", approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2024-01-01T00:00:00.000Z",
      KafkaBatchInfo: { batchSize: 1, recordInfo: { offset: "15", timestamp: "2018-12-17T22:10:50.987Z" } },
      payload,
    };

    // Act
    const deadLetter = readDeadLetter(2, message({ value: Buffer.from(JSON.stringify(document)) }));

    // Assess
    expect(deadLetter).toMatchObject({ partition: 2, offset: 7, format: DeadLetterFormat.OnFailure, reason: "retries-exhausted", detail: undefined });
    expect(deadLetter.records).toEqual(payload.records["mytopic-0"]);
    expect(deadLetter.events).toEqual([payload]);
  });

  it("rebuilds a poison record into the record the group received: original key, value and headers, source coordinates", () => {
    // Prepare
    const value = JSON.stringify({ specversion: "1.0", id: "e-1", type: "orders.OrderPlaced", source: "orders", data: { orderId: "" } });
    const dead = message({
      key: Buffer.from("order-1"),
      value: Buffer.from(value),
      headers: {
        "content-type": Buffer.from("application/cloudevents+json; charset=utf-8"),
        "ensemble-dlq-reason": Buffer.from("schema-invalid"),
        "ensemble-dlq-detail": Buffer.from("orders.OrderPlaced data: orderId: too small"),
        "ensemble-dlq-group": Buffer.from("notify-customer"),
        "ensemble-dlq-source-topic": Buffer.from("orders.events"),
        "ensemble-dlq-source-partition": Buffer.from("1"),
        "ensemble-dlq-source-offset": Buffer.from("42"),
        "ensemble-dlq-source-timestamp": Buffer.from("1690000000000"),
      },
    });

    // Act
    const deadLetter = readDeadLetter(0, dead);

    // Assess
    expect(deadLetter).toMatchObject({ format: DeadLetterFormat.Poison, reason: "schema-invalid", detail: "orders.OrderPlaced data: orderId: too small" });
    expect(deadLetter.records).toEqual([
      {
        topic: "orders.events",
        partition: 1,
        offset: 42,
        timestamp: 1690000000000,
        timestampType: "CREATE_TIME",
        key: Buffer.from("order-1").toString("base64"),
        value: Buffer.from(value).toString("base64"),
        headers: [{ "content-type": [...Buffer.from("application/cloudevents+json; charset=utf-8")] }],
      },
    ]);
    expect(Object.keys(deadLetter.events[0]!.records)).toEqual(["orders.events-1"]);
    expect(eventOf(deadLetter.records[0]!)).toEqual({ id: "e-1", type: "orders.OrderPlaced" });
  });

  it("reports a record in neither format as unreadable, with nothing to redrive", () => {
    // Act
    const deadLetter = readDeadLetter(0, message({ value: Buffer.from("hello") }));

    // Assess
    expect(deadLetter).toMatchObject({ format: DeadLetterFormat.Unknown, reason: "unreadable", records: [], events: [] });
  });
});
