import { SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * The local runtime's spans, kept in memory: an OpenTelemetry provider registered for this process,
 * so the platform's spans (executions, publishes, each record a group processes, completed waits)
 * are recorded instead of dropped. Stop it to unregister.
 */
export class LocalTraces {
  private readonly exporter = new InMemorySpanExporter();
  private readonly provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.exporter)] });

  constructor() {
    trace.setGlobalTracerProvider(this.provider);
  }

  get spans(): readonly ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  /** The whole flow of a business key: every span of every trace a span of that key (`ensemble.key`) is in. */
  flowOf(key: string): ReadableSpan[] {
    const traces = new Set(this.spans.filter((s) => s.attributes["ensemble.key"] === key).map((s) => s.spanContext().traceId));
    return this.spans.filter((s) => traces.has(s.spanContext().traceId));
  }

  async stop(): Promise<void> {
    await this.provider.shutdown();
    trace.disable();
  }
}

const hrMs = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;

/** When a span started, in epoch ms. */
export const spanStartMs = (span: ReadableSpan): number => hrMs(span.startTime);

/** One span of a flow, with the spans recorded under it. */
export interface FlowSpan {
  readonly name: string;
  /** The consumer group that processed the record (`messaging.consumer.group.name`), if any. */
  readonly group: string | undefined;
  /** When it started, in ms after the origin `flowTree` was given (by default the flow's first span). */
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly children: readonly FlowSpan[];
}

/**
 * A flow as a forest: each span under its parent, in start order. Spans whose parent was not
 * recorded (a trace's root, a completed wait's) start a tree of their own. Start times count from
 * `originMs` (epoch ms), by default the first span's start.
 */
export function flowTree(spans: readonly ReadableSpan[], originMs?: number): FlowSpan[] {
  const sorted = [...spans].sort((a, b) => spanStartMs(a) - spanStartMs(b));
  const t0 = originMs ?? (sorted.length > 0 ? spanStartMs(sorted[0]!) : 0);
  const ids = new Set(sorted.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of sorted) {
    const parent = span.parentSpanContext?.spanId;
    const under = parent && ids.has(parent) ? parent : undefined;
    children.set(under, [...(children.get(under) ?? []), span]);
  }
  const build = (parent: string | undefined): FlowSpan[] =>
    (children.get(parent) ?? []).map((span) => {
      const group = span.attributes["messaging.consumer.group.name"];
      return {
        name: span.name,
        group: group === undefined ? undefined : String(group),
        startMs: spanStartMs(span) - t0,
        durationMs: hrMs(span.duration),
        error: span.status.code === SpanStatusCode.ERROR,
        children: build(span.spanContext().spanId),
      };
    });
  return build(undefined);
}

/**
 * A flow as a tree (see `flowTree`), one span per line, indented under its parent, with when it
 * started (ms after the flow's first span) and how long it took.
 *
 * @example
 * execution orders                          +0.0 ms  41.2 ms
 *   publish orders.OrderPlaced              +38.1 ms  2.9 ms
 *     process orders.OrderPlaced [start-shipping]  +45.0 ms  3.1 ms
 */
export function renderFlow(spans: readonly ReadableSpan[], key: string): string[] {
  if (spans.length === 0) return [`No spans for key "${key}": nothing published or processed with that key (the key of a milestone, e.g. an order id).`];
  const lines = [`Flow of ${key}: ${spans.length} spans in ${new Set(spans.map((s) => s.spanContext().traceId)).size} trace(s)`];
  const walk = (nodes: readonly FlowSpan[], depth: number) => {
    for (const span of nodes) {
      const label = `${"  ".repeat(depth)}${span.name}${span.group ? ` [${span.group}]` : ""}${span.error ? " (error)" : ""}`;
      lines.push(`${label.padEnd(64)} +${span.startMs.toFixed(1)} ms  ${span.durationMs.toFixed(1)} ms`);
      walk(span.children, depth + 1);
    }
  };
  walk(flowTree(spans), 0);
  return lines;
}
