import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { demoScenario } from "../../contexts/orders/demo";
import { runDemo } from "../../platform/local/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { LocalTraces, renderFlow } from "../../platform/local/traces";
import { validate } from "../../platform/model";
import { topology } from "../../topology";

jest.setTimeout(150_000);

// One business flow, one trace: an order's execution, its milestones, every group that processes
// them, the executions those groups start, billing's wait for the dispatch and the invoice's
// consumers, recorded by a real OpenTelemetry SDK in memory while the local runtime plays orders.
describe("one trace per business flow across contexts", () => {
  const stack = `trace-${randomUUID().slice(0, 6)}`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: stack, brokers, logLevel: logLevel.NOTHING });
  const traces = new LocalTraces();
  const runtime = new LocalRuntime({ topology: validate(topology, { stack }), stack, kafka, brokers, startingPosition: "LATEST" });
  const scenario = demoScenario(10, stack);
  const order = scenario.executions.find((e) => e.outcome === "placed")!.input.orderId;

  beforeAll(async () => {
    await runtime.start();
    const result = await runDemo(runtime, scenario, { rate: 20, timeoutMs: 120_000 });
    expect(result.problems).toEqual([]);
  });

  afterAll(async () => {
    await runtime.stop();
    await traces.stop();
  });

  it("keeps one trace id from the order's execution to the last consumer of its invoice", () => {
    const flow = traces.flowOf(order);
    const names = flow.map((s) => `${s.name}${s.attributes["messaging.consumer.group.name"] ? ` [${String(s.attributes["messaging.consumer.group.name"])}]` : ""}`);

    expect(new Set(flow.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(names).toEqual(
      expect.arrayContaining([
        "execution orders",
        "publish orders.OrderPlaced",
        "process orders.OrderPlaced [start-shipping]",
        "process orders.OrderPlaced [start-billing]",
        "execution shipping",
        "execution billing",
        "publish shipping.ShipmentDispatched",
        "process shipping.ShipmentDispatched [billing-correlator]",
        "complete wait AwaitDispatch",
        "publish billing.InvoiceIssued",
        "process billing.InvoiceIssued [notify-customer]",
        "process billing.InvoiceIssued [audit-archive]",
      ]),
    );
    // Each of the order's own spans once: its execution, and one process span per group and event.
    expect(names.filter((n) => n === "execution orders")).toHaveLength(1);
    expect(names.filter((n) => n === "execution billing")).toHaveLength(1);
    // The order's three executions and nothing of another order's.
    expect(flow.filter((s) => s.name.startsWith("execution ")).map((s) => [s.name, s.attributes["ensemble.key"]]).sort()).toEqual([
      ["execution billing", order],
      ["execution orders", order],
      ["execution shipping", order],
    ]);
  });

  it("parents each consumer span on, and links it to, the span that published its event", () => {
    const flow = traces.flowOf(order);
    const publishes = new Map(flow.filter((s) => s.name.startsWith("publish ")).map((s) => [s.spanContext().spanId, s]));
    const processed = flow.filter((s) => s.name.startsWith("process "));
    expect(processed.length).toBeGreaterThan(10);
    for (const span of processed) {
      const producer = publishes.get(span.parentSpanContext!.spanId)!;
      expect({ span: span.name, producer: producer?.name }).toEqual({ span: span.name, producer: span.name.replace("process", "publish") });
      expect(span.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
    }
  });

  it("shows the flow as a tree with timings, the completed wait under billing's execution", () => {
    const lines = renderFlow(traces.flowOf(order), order);
    expect(lines[0]).toMatch(new RegExp(`^Flow of ${order}: \\d+ spans in 1 trace\\(s\\)$`));
    expect(lines[1]).toMatch(/^execution orders\s+\+0\.0 ms\s+\d+\.\d ms$/);
    const billing = lines.findIndex((l) => /^\s+execution billing /.test(l));
    const wait = lines.findIndex((l) => /^\s+complete wait AwaitDispatch /.test(l));
    expect(billing).toBeGreaterThan(0);
    expect(wait).toBeGreaterThan(billing);
    expect(lines[wait]!.search(/\S/)).toBeGreaterThan(lines[billing]!.search(/\S/));
  });
});
