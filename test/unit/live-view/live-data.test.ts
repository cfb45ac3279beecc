import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { KafkaMessage } from "kafkajs";
import type { Snapshot } from "../../../platform/local/demo";
import type { PublishedEvent } from "../../../platform/local/runtime";
import { DEAD_LETTERS_SHOWN, keyFlow, liveState, stateSignature, summarizeDeadLetter } from "../../../platform/live-view/live-data";
import { readDeadLetter } from "../../../platform/redrive/dead-letters";

const T0 = 1_700_000_000_000;
const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

/** A finished span as the in-memory exporter keeps it: what the live view reads of one. */
function span(fields: { id: string; parent?: string; name: string; startMs: number; durationMs: number; kind?: SpanKind; attributes?: Record<string, string>; error?: boolean }): ReadableSpan {
  return {
    name: fields.name,
    kind: fields.kind ?? SpanKind.INTERNAL,
    attributes: fields.attributes ?? {},
    startTime: hr(T0 + fields.startMs),
    duration: hr(fields.durationMs),
    status: { code: fields.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
    spanContext: () => ({ traceId: "t-1", spanId: fields.id, traceFlags: 1 }),
    parentSpanContext: fields.parent ? { traceId: "t-1", spanId: fields.parent, traceFlags: 1 } : undefined,
  } as unknown as ReadableSpan;
}

const event = (eventId: string, type: string, key: string, context: string, atMs: number): PublishedEvent => ({ eventId, type, key, context, data: {}, at: T0 + atMs });

describe("keyFlow", () => {
  it("lists the key's events and those its flow published under other keys, in publish order, on the spans' clock", () => {
    // Prepare
    const published = [
      event("e-1", "orders.OrderPlaced", "o-1", "orders", 10),
      event("e-other", "orders.OrderPlaced", "o-2", "orders", 11),
      event("e-2", "shipping.ShipmentScheduled", "shp-o-1", "shipping", 30),
    ];
    const spans = [
      span({ id: "a", name: "execution orders", startMs: 0, durationMs: 12, attributes: { "ensemble.key": "o-1" } }),
      span({ id: "b", parent: "a", name: "publish orders.OrderPlaced", startMs: 5, durationMs: 5, kind: SpanKind.PRODUCER, attributes: { "messaging.message.id": "e-1" } }),
      span({ id: "c", parent: "b", name: "process orders.OrderPlaced", startMs: 15, durationMs: 2, attributes: { "messaging.consumer.group.name": "start-shipping" } }),
      span({ id: "d", parent: "c", name: "publish shipping.ShipmentScheduled", startMs: 20, durationMs: 10, kind: SpanKind.PRODUCER, attributes: { "messaging.message.id": "e-2" } }),
      span({ id: "e", parent: "lost", name: "complete wait AwaitDispatch", startMs: 40, durationMs: 1, error: true }),
    ];

    // Act
    const flow = keyFlow("o-1", published, spans);

    // Assess
    expect(flow.message).toBeUndefined();
    expect(flow.events).toEqual([
      { context: "orders", type: "orders.OrderPlaced", id: "e-1", offsetMs: 10 },
      { context: "shipping", type: "shipping.ShipmentScheduled", id: "e-2", offsetMs: 30 },
    ]);
    expect(flow.spans).toEqual([
      {
        name: "execution orders",
        group: undefined,
        startMs: 0,
        durationMs: 12,
        error: false,
        children: [
          {
            name: "publish orders.OrderPlaced",
            group: undefined,
            startMs: 5,
            durationMs: 5,
            error: false,
            children: [
              {
                name: "process orders.OrderPlaced",
                group: "start-shipping",
                startMs: 15,
                durationMs: 2,
                error: false,
                children: [{ name: "publish shipping.ShipmentScheduled", group: undefined, startMs: 20, durationMs: 10, error: false, children: [] }],
              },
            ],
          },
        ],
      },
      { name: "complete wait AwaitDispatch", group: undefined, startMs: 40, durationMs: 1, error: true, children: [] },
    ]);
  });

  it("counts from the first event when there are no spans (a runtime without traces)", () => {
    const flow = keyFlow("o-1", [event("e-1", "orders.OrderPlaced", "o-1", "orders", 10), event("e-3", "orders.OrderRefunded", "o-1", "orders", 25)], []);

    expect(flow.events.map((e) => e.offsetMs)).toEqual([0, 15]);
    expect(flow.spans).toEqual([]);
  });

  it("says so when nothing is known of the key", () => {
    expect(keyFlow("nobody", [event("e-1", "orders.OrderPlaced", "o-1", "orders", 10)], [])).toEqual({
      key: "nobody",
      message: `Nothing known of key "nobody": no event was published with it and no span carries it (a milestone's key, e.g. an order id).`,
      events: [],
      spans: [],
    });
  });
});

describe("summarizeDeadLetter", () => {
  it("gives the group, the reason and detail, and the event's type, id and key", () => {
    // Prepare
    const value = JSON.stringify({ specversion: "1.0", id: "e-1", type: "orders.OrderPlaced", source: "orders", data: { orderId: "" } });
    const message = {
      key: Buffer.from("order-1"),
      value: Buffer.from(value),
      timestamp: "1700000000000",
      attributes: 0,
      offset: "7",
      headers: {
        "ensemble-dlq-reason": Buffer.from("schema-invalid"),
        "ensemble-dlq-detail": Buffer.from("orderId: too small"),
        "ensemble-dlq-source-topic": Buffer.from("orders.events"),
        "ensemble-dlq-source-partition": Buffer.from("1"),
        "ensemble-dlq-source-offset": Buffer.from("42"),
      },
    } as unknown as KafkaMessage;

    // Act
    const summary = summarizeDeadLetter("notify-customer", readDeadLetter(2, message), T0);

    // Assess
    expect(summary).toEqual({
      group: "notify-customer",
      reason: "schema-invalid",
      detail: "orderId: too small",
      at: T0,
      partition: 2,
      offset: 7,
      events: [{ type: "orders.OrderPlaced", id: "e-1", key: "order-1" }],
    });
  });
});

describe("liveState and stateSignature", () => {
  const snapshot = (elapsedMs: number, succeeded: number): Snapshot => ({
    elapsedMs,
    started: 1,
    planned: 1,
    contexts: [{ name: "orders", running: 0, succeeded, failed: 0, byState: {} }],
    milestones: {},
    groups: [],
  });

  it("carries the latest dead letters only, and their total", () => {
    // Prepare
    const deadLetters = Array.from({ length: DEAD_LETTERS_SHOWN + 5 }, (_, i) => ({ group: "g", reason: "r", detail: undefined, at: i, partition: 0, offset: i, events: [] }));

    // Act
    const state = liveState(snapshot(0, 1), deadLetters);

    // Assess
    expect(state.deadLettersTotal).toBe(105);
    expect(state.deadLetters.map((d) => d.offset)).toEqual(deadLetters.slice(5).map((d) => d.offset));
  });

  it("changes with the counts, not with the clock", () => {
    expect(stateSignature(liveState(snapshot(100, 1), []))).toBe(stateSignature(liveState(snapshot(600, 1), [])));
    expect(stateSignature(liveState(snapshot(100, 1), []))).not.toBe(stateSignature(liveState(snapshot(100, 2), [])));
  });
});
