import { DeadLetterHeaders } from "../model";
import type { GroupFacts, JsonSchema, TopicFacts } from "./catalog-contents";
import { DEAD_LETTER_HEADERS, deadLetterClientId, ON_FAILURE_REASONS, POISON_REASONS } from "./contracts";
import { pointer } from "./json-pointer";

/**
 * The AsyncAPI parts of dead letters: each group's dead-letter channel and the operation that
 * writes to it, and the two kinds of record found there (a poison record the consumer wrapper
 * wrote, AWS's on-failure record).
 */

export const deadLetterOperationId = (group: string) => `${group}.dead-letter`;

export function deadLetterChannel(topic: TopicFacts, server: { $ref: string }) {
  return {
    address: topic.name,
    title: topic.name,
    summary: `Dead letters of the ${topic.owner} consumer group.`,
    description: [
      `Records \`${topic.owner}\` gave up on. Poison records (${POISON_REASONS.map((r) => `\`${r}\``).join(", ")}) are written by the group's`,
      `function at once, unchanged, with \`ensemble-dlq-*\` headers; records that failed every retry or grew too old`,
      `(${ON_FAILURE_REASONS.map((r) => `\`${r}\``).join(", ")}) are written by the event source mapping's on-failure destination`,
      `\`kafka://${topic.name}\` as AWS's failure record. A record whose copy would exceed the topic's \`max.message.bytes\``,
      `is written as a reference instead: header \`ensemble-dlq-reference: true\`, a bounded prefix of the value, and the source coordinates.`,
    ].join(" "),
    servers: [server],
    messages: {
      DeadLetteredRecord: { $ref: "#/components/messages/DeadLetteredRecord" },
      OnFailureRecord: { $ref: "#/components/messages/OnFailureRecord" },
    },
    bindings: { kafka: { topic: topic.name, partitions: topic.partitions, bindingVersion: "0.5.0" } },
    "x-ensemble": { purpose: topic.purpose, group: topic.owner },
  };
}

export function deadLetterOperation(group: GroupFacts) {
  const channel = `#/channels/${pointer(group.deadLetterTopic)}`;
  return {
    action: "send",
    channel: { $ref: channel },
    title: `${group.name} dead-letters what it cannot process`,
    summary: `Poison records and records out of retries go to ${group.deadLetterTopic}.`,
    messages: [{ $ref: `${channel}/messages/DeadLetteredRecord` }, { $ref: `${channel}/messages/OnFailureRecord` }],
    bindings: { kafka: { clientId: { type: "string", enum: [deadLetterClientId(group.name)] }, bindingVersion: "0.5.0" } },
    "x-ensemble": { group: group.name },
  };
}

export function deadLetterHeaders(): JsonSchema {
  return {
    type: "object",
    description: "Headers the consumer wrapper adds to a poison record, besides the record's own, which it keeps.",
    required: Object.keys(DEAD_LETTER_HEADERS).filter((name) => name !== DeadLetterHeaders.Reference),
    properties: Object.fromEntries(
      Object.entries(DEAD_LETTER_HEADERS).map(([name, description]) => [
        name,
        name === DeadLetterHeaders.Reason ? { type: "string", enum: [...POISON_REASONS], description } : { type: "string", description },
      ]),
    ),
  };
}

export function onFailureRecord(): JsonSchema {
  return {
    type: "object",
    description: "What Lambda writes to a Kafka on-failure destination: failure metadata and the record as the function received it.",
    required: ["requestContext", "version", "timestamp", "KafkaBatchInfo", "payload"],
    properties: {
      requestContext: {
        type: "object",
        properties: {
          requestId: { type: "string" },
          functionArn: { type: "string" },
          condition: { type: "string", examples: ["RetriesExhausted"] },
          approximateInvokeCount: { type: "integer", minimum: 0 },
        },
      },
      responseContext: {
        type: "object",
        description: "Absent when the record never reached the function.",
        properties: { statusCode: { type: "integer" }, executedVersion: { type: "string" }, functionError: { type: "string" } },
      },
      version: { type: "string" },
      timestamp: { type: "string", format: "date-time" },
      KafkaBatchInfo: { type: "object", description: "Batch size, event source, payload size and the record's offset and timestamp." },
      payload: {
        type: "object",
        description: "The failed record in the shape the function receives it: `records` keyed `<topic>-<partition>`, base64 key and value (the CloudEvent), byte-array headers.",
      },
    },
  };
}

export function deadLetteredRecordMessage() {
  return {
    name: "DeadLetteredRecord",
    title: "Poison record",
    summary: "A record that can never succeed, written unchanged (key, value, headers) with the reason in headers.",
    description: `Reasons: ${POISON_REASONS.map((r) => `\`${r}\``).join(", ")}. The value is whatever the source record held: usually a CloudEvent, possibly not even JSON.`,
    headers: { $ref: "#/components/schemas/DeadLetterHeaders" },
    payload: { description: "The source record's value, unchanged; for a reference (`ensemble-dlq-reference: true`), its first bytes only." },
    bindings: { kafka: { key: { type: "string", description: "The source record's key, unchanged." }, bindingVersion: "0.5.0" } },
  };
}

export function onFailureRecordMessage() {
  return {
    name: "OnFailureRecord",
    title: "On-failure record",
    summary: "A record the event source mapping gave up on: out of retries, or older than the group's maximum record age.",
    description: [
      "Written by Lambda, in AWS's format: https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html.",
      `The local runtime's emulated mapping also adds the \`ensemble-dlq-*\` headers, with reason ${ON_FAILURE_REASONS.map((r) => `\`${r}\``).join(" or ")}.`,
    ].join(" "),
    contentType: "application/json",
    payload: { $ref: "#/components/schemas/OnFailureRecord" },
    bindings: { kafka: { key: { type: "string", description: "The source record's key." }, bindingVersion: "0.5.0" } },
  };
}
