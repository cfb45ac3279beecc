import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { Snapshot } from "../local/demo";
import type { PublishedEvent } from "../local/runtime";
import { type FlowSpan, flowTree, spanStartMs } from "../local/traces";
import { type DeadLetter, eventOf } from "../redrive/dead-letters";
import { recordKey } from "../runtime/msk";

/** One record of a group's dead-letter topic, as the page lists it. */
export interface DeadLetterSummary {
  readonly group: string;
  /** Why (`schema-invalid`, `retries-exhausted`, ...), and the handler's words when it gave them. */
  readonly reason: string;
  readonly detail: string | undefined;
  /** When it was dead-lettered, epoch ms. */
  readonly at: number;
  /** Where it sits in `<group>.dlq`. */
  readonly partition: number;
  readonly offset: number;
  /** The events it stands for: one, or several in an on-failure record of a whole batch. */
  readonly events: readonly { readonly type: string | undefined; readonly id: string | undefined; readonly key: string | undefined }[];
}

/** What the page shows, pushed over `/live` whenever it changes. */
export interface LiveState {
  readonly snapshot: Snapshot;
  /** This run's dead letters, the latest `DEAD_LETTERS_SHOWN` (all of them at `/dead-letters`). */
  readonly deadLetters: readonly DeadLetterSummary[];
  readonly deadLettersTotal: number;
  /** Executions started over HTTP (`POST /executions/<context>`): the snapshot's started/planned are the demo's only. */
  readonly startedOverHttp: number;
}

/** How many dead letters each push carries: a flood of them must not make every push huge. */
export const DEAD_LETTERS_SHOWN = 100;

/** One business key's flow: its published events in order and its spans as a tree. */
export interface KeyFlow {
  readonly key: string;
  /** What the page says when nothing is known of the key. */
  readonly message: string | undefined;
  /** In publish order; `offsetMs` counts from the flow's start (its first span or first event). */
  readonly events: readonly { readonly context: string; readonly type: string; readonly id: string; readonly offsetMs: number }[];
  readonly spans: readonly FlowSpan[];
}

export function summarizeDeadLetter(group: string, deadLetter: DeadLetter, at: number): DeadLetterSummary {
  return {
    group,
    reason: deadLetter.reason,
    detail: deadLetter.detail,
    at,
    partition: deadLetter.partition,
    offset: deadLetter.offset,
    events: deadLetter.records.map((record) => {
      const { id, type } = eventOf(record);
      return { type, id, key: recordKey(record)?.toString() };
    }),
  };
}

export function liveState(snapshot: Snapshot, deadLetters: readonly DeadLetterSummary[], startedOverHttp = 0): LiveState {
  return { snapshot, deadLetters: deadLetters.slice(-DEAD_LETTERS_SHOWN), deadLettersTotal: deadLetters.length, startedOverHttp };
}

/** What makes two states different for the page: everything but the clock. */
export function stateSignature(state: LiveState): string {
  return JSON.stringify({ ...state, snapshot: { ...state.snapshot, elapsedMs: 0 } });
}

/**
 * A key's events and its spans (`LocalTraces.flowOf`), on one clock: offsets from whichever came
 * first. Its events are those published with that key and those its flow published under keys of
 * their own (a shipment id, an invoice number), which its publish spans name.
 */
export function keyFlow(key: string, published: readonly PublishedEvent[], spans: readonly ReadableSpan[]): KeyFlow {
  const inFlow = new Set(spans.filter((span) => span.kind === SpanKind.PRODUCER).map((span) => span.attributes["messaging.message.id"]));
  const events = published.filter((event) => event.key === key || inFlow.has(event.eventId));
  if (events.length === 0 && spans.length === 0) {
    return { key, message: `Nothing known of key "${key}": no event was published with it and no span carries it (a milestone's key, e.g. an order id).`, events: [], spans: [] };
  }
  const origin = Math.min(...events.map((event) => event.at), ...spans.map(spanStartMs));
  return {
    key,
    message: undefined,
    events: events.map((event) => ({ context: event.context, type: event.type, id: event.eventId, offsetMs: event.at - origin })),
    spans: flowTree(spans, origin),
  };
}
