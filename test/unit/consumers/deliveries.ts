import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { type ContextEvent, names } from "../../../platform/model";
import { type KafkaEvent, toCloudEvent, toKafkaRecord } from "../../../platform/runtime";

/** One published milestone, as a test describes it. */
export interface Milestone {
  readonly event: ContextEvent;
  readonly key: string;
  readonly data: unknown;
  /** The milestone state; with the execution id it makes the event id. */
  readonly state: string;
  readonly mapIndex?: number;
  readonly executionId?: string;
  /** The event's time. @default now */
  readonly time?: string;
}

/** The CloudEvent id a milestone gets. */
export const idOf = (milestone: Milestone) => toCloudEvent(envelope(milestone)).id;

/**
 * What an MSK event source mapping would deliver for these milestones: each on its context's
 * topic, partition 0, offsets counting from `firstOffset` in the order given.
 */
export function delivery(milestones: readonly Milestone[], firstOffset = 0): KafkaEvent {
  return toMskEvent(
    milestones.map((milestone, i) => {
      const record = toKafkaRecord(toCloudEvent(envelope(milestone)));
      return {
        topic: names.contextTopic(milestone.event.context),
        partition: 0,
        messages: [{ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers, offset: String(firstOffset + i), timestamp: "1", attributes: 0 }],
      };
    }),
  );
}

function envelope(milestone: Milestone) {
  return {
    event: milestone.event,
    key: milestone.key,
    data: milestone.data,
    state: milestone.state,
    executionId: milestone.executionId ?? `arn:aws:states:eu-west-1:123456789012:execution:dev-${milestone.event.context}:${milestone.key}`,
    ...(milestone.mapIndex === undefined ? {} : { mapIndex: milestone.mapIndex }),
    ...(milestone.time === undefined ? {} : { time: milestone.time }),
  };
}

/** Example event data, valid against the schemas. */
export const examples = {
  placed: { orderId: "o-1", customerId: "c-1", lines: [{ sku: "teapot", quantity: 1 }, { sku: "tea-sencha", quantity: 2 }], totalCents: 5_000, currency: "EUR" },
  rejected: { orderId: "o-2", customerId: "c-1", reason: "out-of-stock" as const },
  scheduled: { shipmentId: "shp-o-1", orderId: "o-1", customerId: "c-1", carrier: "parcel-post" as const, lineCount: 2, weightGrams: 1_500, costCents: 570 },
  packed: (line: number) => ({ shipmentId: "shp-o-1", orderId: "o-1", line, sku: line === 0 ? "teapot" : "tea-sencha", quantity: line + 1, boxId: `shp-o-1-${line + 1}`, weightGrams: 1_100, volumeMl: 5_000 }),
  dispatched: {
    shipmentId: "shp-o-1",
    orderId: "o-1",
    customerId: "c-1",
    carrier: "parcel-post" as const,
    trackingNumber: "PP-shp-o-1",
    rebooked: false,
    weightGrams: 1_500,
    volumeMl: 6_000,
    costCents: 570,
    totalCents: 5_000,
    currency: "EUR",
  },
  invoiced: {
    invoiceId: "inv-o-1",
    invoiceNumber: "INV-000001",
    orderId: "o-1",
    customerId: "c-1",
    shipmentId: "shp-o-1",
    currency: "EUR",
    netCents: 4_167,
    taxCents: 833,
    totalCents: 5_000,
    taxRateBasisPoints: 2_000,
  },
};
