import { trace, TraceFlags } from "@opentelemetry/api";
import { orders } from "../../../contexts";
import { toMskEvent } from "../../../platform/local/event-source-mapping";
import { startsWorkflow } from "../../../platform/runtime/consumer-starts-workflow";
import { InMemoryPersistenceLayer } from "../../../platform/runtime/idempotency";
import { toCloudEvent, toKafkaRecord } from "../../../platform/runtime/envelope";
import { fromTraceparent, fromXRayHeader, newTrace, toTraceparent, toXRayHeader, tracer } from "../../../platform/runtime/trace-context";
import { RecordingWorkflowStarter } from "../../../platform/runtime/workflow-starter";
import startShipping from "../../../consumers/start-shipping/consumer";
import { examples } from "../consumers/deliveries";

const TRACE_ID = "5759e988bd862e3fe1be46a994272793";

describe("trace context", () => {
  it("reads and writes W3C traceparent, refusing what is not one", () => {
    const context = fromTraceparent(`00-${TRACE_ID}-53995c3f42cd8ad8-01`, "vendor=x,other=y")!;
    expect(context).toMatchObject({ traceId: TRACE_ID, spanId: "53995c3f42cd8ad8", traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(context.traceState!.get("other")).toBe("y");
    expect(toTraceparent(context)).toBe(`00-${TRACE_ID}-53995c3f42cd8ad8-01`);
    for (const bad of [undefined, 42, "", `01-${TRACE_ID}-53995c3f42cd8ad8-01`, `00-${"0".repeat(32)}-53995c3f42cd8ad8-01`, `00-${TRACE_ID}-${"0".repeat(16)}-01`, `00-${TRACE_ID}-53995c3f42cd8ad8`]) {
      expect(fromTraceparent(bad)).toBeUndefined();
    }
  });

  it("maps an X-Ray trace header to the same trace id and back, as the X-Ray propagator does", () => {
    const context = fromXRayHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")!;
    expect(context).toMatchObject({ traceId: TRACE_ID, spanId: "53995c3f42cd8ad8", traceFlags: TraceFlags.SAMPLED });
    expect(toXRayHeader(context)).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    // Lambda's _X_AMZN_TRACE_ID may put Root anywhere and leave Parent out.
    expect(fromXRayHeader("Self=1-abc;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0")).toMatchObject({ traceId: TRACE_ID, traceFlags: TraceFlags.NONE });
    expect(fromXRayHeader("Parent=53995c3f42cd8ad8")).toBeUndefined();
  });

  it("starts a new trace whose id begins with the time, as X-Ray wants", () => {
    const { traceId } = newTrace();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(Math.abs(Number.parseInt(traceId.slice(0, 8), 16) - Date.now() / 1000)).toBeLessThan(5);
  });

  it("gives every new trace its own valid ids, across refills of the random pool", () => {
    // Act: 4 KB of random bytes serve ~200 traces (12 + 8 bytes each); this crosses several refills.
    const traces = Array.from({ length: 1_000 }, () => newTrace());

    // Assess
    for (const { traceId, spanId } of traces) {
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spanId).not.toMatch(/^0+$/);
    }
    expect(new Set(traces.map((t) => t.traceId.slice(8))).size).toBe(traces.length);
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(traces.length);
    // A header without Parent gets a random one of its own.
    expect(fromXRayHeader("Root=1-5759e988-bd862e3fe1be46a994272793")!.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("records nothing while no OpenTelemetry provider is registered", () => {
    const span = tracer().startSpan("publish x");
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(trace.getTracerProvider().constructor.name).toBe("ProxyTracerProvider");
  });
});

describe("the trace across a consumer that starts a workflow", () => {
  it("puts the execution it starts in the event's trace", async () => {
    const starter = new RecordingWorkflowStarter();
    const handler = startsWorkflow(startShipping, { input: (event) => event.data, starter, stateMachine: "arn:aws:states:eu-west-1:123456789012:stateMachine:dev-shipping", idempotency: new InMemoryPersistenceLayer() });
    const event = toCloudEvent({
      event: orders.events.OrderPlaced,
      key: "o-1",
      data: examples.placed,
      state: "Placed",
      executionId: "arn:aws:states:eu-west-1:123456789012:execution:dev-orders:o-1",
      trace: { traceparent: `00-${TRACE_ID}-53995c3f42cd8ad8-01` },
    });
    const record = toKafkaRecord(event);
    expect(JSON.parse(record.value)).toMatchObject({ traceparent: `00-${TRACE_ID}-53995c3f42cd8ad8-01` });

    await handler(toMskEvent([{ topic: "orders.events", partition: 0, messages: [{ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers, offset: "0", timestamp: "1", attributes: 0 }] }]));

    // No provider: the process span is the no-op's, so the execution continues the producer's span.
    expect(starter.started.map((r) => r.traceHeader)).toEqual(["Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"]);
    await handler.close();
  });
});
