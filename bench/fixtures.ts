import type { Kafka } from "kafkajs";
import { OrderPlaced } from "../contexts/orders/events";
import { filterPatterns } from "../platform/model/consumer-group-plan";
import { LocalEventSourceMapping } from "../platform/local/event-source-mapping";
import { type ContextDefinition, defineConsumer, defineContext, names } from "../platform/model";
import { consume, type RecordContext } from "../platform/runtime/consumer";
import { InMemoryPersistenceLayer } from "../platform/runtime/idempotency";
import { toCloudEvent, toKafkaRecord, type KafkaRecordOut } from "../platform/runtime/envelope";
import type { MilestoneInput } from "../platform/runtime/publisher";
import { newTrace, toTraceparent } from "../platform/runtime/trace-context";
import { silentLogger } from "./logger";

/**
 * A context of its own per measurement, publishing the real `orders.OrderPlaced` event, so every
 * measurement has a fresh topic (`<name>.events`). Names have one length, so records have one size.
 */
export function benchContext(runId: string, label: string) {
  return defineContext({ name: `bench-${runId}-${label.padEnd(4, "x").slice(0, 4)}`, events: [OrderPlaced] });
}

export type BenchContext = ReturnType<typeof benchContext>;

export const topicOf = (context: ContextDefinition) => names.contextTopic(context.name);

/** A consumer group of the bench context, as `consumers/<group>/consumer.ts` would declare one. */
export function benchConsumer(context: BenchContext, name: string) {
  return defineConsumer({ name: `${context.name}-${name}`, on: [context.events.OrderPlaced] });
}

/**
 * A bench group on Ensemble's consume path, as `npm start` runs a group: its handler wrapped by
 * `consume()` (in-memory idempotency, no logs) behind the local event source mapping.
 * `onRecord` is the handler's body; `stop()` also closes the wrapper's Kafka client.
 */
export function benchMapping(kafka: Kafka, bench: BenchContext, name: string, maxPollers: number, onRecord: (record: RecordContext["record"]) => void) {
  const consumer = benchConsumer(bench, name);
  const handler = consume(consumer, (_event, { record }) => onRecord(record), { kafka, logger: silentLogger(), idempotency: new InMemoryPersistenceLayer() });
  const mapping = new LocalEventSourceMapping({
    kafka,
    group: consumer.name,
    groupId: names.consumerGroupId("bench", consumer.name, bench.name),
    topic: topicOf(bench),
    handler,
    filters: filterPatterns([bench.events.OrderPlaced.type]),
    maxPollers,
    onFailureTopic: names.deadLetterTopic(consumer.name),
  });
  return {
    start: () => mapping.start(),
    stop: async () => {
      await mapping.stop();
      await handler.close();
    },
  };
}

/** Order `index`: one entity per order, so keys spread over partitions as in production. */
export function milestoneInput(context: BenchContext, index: number): MilestoneInput {
  const orderId = `order-${String(index).padStart(7, "0")}`;
  return {
    type: context.events.OrderPlaced.type,
    key: orderId,
    // The schema's key order, so the publisher's parsed data serialises to these same bytes.
    data: {
      orderId,
      customerId: `customer-${String(index % 997).padStart(4, "0")}`,
      lines: [
        { sku: "SKU-1001", quantity: 2 },
        { sku: "SKU-2040", quantity: 1 },
        { sku: "SKU-3300", quantity: 5 },
      ],
      totalCents: 12_345 + (index % 100),
      currency: "EUR",
    },
    executionId: `arn:aws:states:eu-west-1:123456789012:execution:dev-orders:${orderId}`,
    state: "Placed",
    // What Step Functions passes ($$.State.EnteredTime): fixed, so a record's bytes depend only on its index.
    time: "2025-01-01T00:00:00.000Z",
  };
}

/**
 * The record the milestone publisher sends for order `index`, built the way it builds it (schema
 * parse, CloudEvent with a new trace's `traceparent`, structured-mode Kafka binding): the raw
 * baselines send these bytes, identical but for the random trace and span ids.
 */
export function encodedRecord(context: BenchContext, index: number): KafkaRecordOut {
  const input = milestoneInput(context, index);
  const event = context.events.OrderPlaced;
  const trace = { traceparent: toTraceparent(newTrace()) };
  return toKafkaRecord(toCloudEvent({ ...input, event, data: event.schema.parse(input.data), mapIndex: undefined, trace }));
}

export function encodedRecords(context: BenchContext, count: number): KafkaRecordOut[] {
  return Array.from({ length: count }, (_, index) => encodedRecord(context, index));
}

/** Bytes of a record's value, the CloudEvent: what the broker's own perf tool sends per record. */
export const valueBytes = (record: KafkaRecordOut) => Buffer.byteLength(record.value);
