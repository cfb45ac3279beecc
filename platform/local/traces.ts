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

/**
 * A flow as a tree, one span per line, indented under its parent, with when it started (ms after
 * the flow's first span) and how long it took. Spans whose parent was not recorded (a trace's
 * root, a completed wait's) start a tree of their own, in start order.
 *
 * @example
 * execution orders                          +0.0 ms  41.2 ms
 *   publish orders.OrderPlaced              +38.1 ms  2.9 ms
 *     process orders.OrderPlaced [start-shipping]  +45.0 ms  3.1 ms
 */
export function renderFlow(spans: readonly ReadableSpan[], key: string): string[] {
  if (spans.length === 0) return [`No spans for key "${key}": nothing published or processed with that key (the key of a milestone, e.g. an order id).`];
  const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;
  const sorted = [...spans].sort((a, b) => ms(a.startTime) - ms(b.startTime));
  const t0 = ms(sorted[0]!.startTime);
  const ids = new Set(sorted.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of sorted) {
    const parent = span.parentSpanContext?.spanId;
    const under = parent && ids.has(parent) ? parent : undefined;
    children.set(under, [...(children.get(under) ?? []), span]);
  }
  const lines = [`Flow of ${key}: ${spans.length} spans in ${new Set(spans.map((s) => s.spanContext().traceId)).size} trace(s)`];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      const group = span.attributes["messaging.consumer.group.name"];
      const label = `${"  ".repeat(depth)}${span.name}${group ? ` [${String(group)}]` : ""}${span.status.code === SpanStatusCode.ERROR ? " (error)" : ""}`;
      lines.push(`${label.padEnd(64)} +${(ms(span.startTime) - t0).toFixed(1)} ms  ${ms(span.duration).toFixed(1)} ms`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}
