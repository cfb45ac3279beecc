import { Session } from "node:inspector/promises";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MilestonePublisher } from "../platform/runtime/publisher";
import { tracer } from "../platform/runtime/trace-context";
import { benchContext, milestoneInput, topicOf } from "./fixtures";
import { benchKafka, createTopic, type Section, SectionFailure } from "./harness";
import { round } from "./stats";
import { preparedBatches, wrapperPass } from "./wrapper";

/** Frames of the tracing code: the OpenTelemetry API and the runtime's trace context. */
const TRACING_FRAME = /\/node_modules\/@opentelemetry\/|\/platform\/runtime\/trace-context\.ts/;

export interface TracingShare {
  /** CPU samples taken while the path ran, idle ones left out (a publish mostly waits for the broker). */
  readonly samples: number;
  /** Of them, those with a tracing frame anywhere on the stack. */
  readonly inTracing: number;
  readonly percent: number;
}

/**
 * What tracing costs when no OpenTelemetry provider is registered (the default, on AWS without
 * the collector layer and in every test): the share of CPU samples, taken by V8's profiler while
 * `consume()` handles prepared batches and while the publisher publishes in sequence, whose stack
 * holds a frame of the OpenTelemetry API or of platform/runtime/trace-context.ts. That share bounds
 * what the tracing code can move the wrapper and publish figures by. Then, with a provider
 * recording every span in memory, the wrapper's cost per record beside the no-provider pass (run
 * after it: a provider, once registered, stays the process's), and the spans it recorded.
 */
export const tracingSection: Section = {
  name: "tracing",
  needsBroker: true,
  async run(context) {
    const { options } = context;
    if (tracer().startSpan("probe").isRecording()) throw new SectionFailure("a tracer provider is registered before the no-provider measurement");

    const wrapperBench = benchContext(context.runId, "trcw");
    const batches = preparedBatches(wrapperBench, options.consumeEvents, 100);
    const records = batches.length * 100;
    await wrapperPass(wrapperBench, batches.slice(0, 20));
    const consumeShare = await profiled(() => wrapperPass(wrapperBench, batches));
    const withoutProvider = await wrapperPass(wrapperBench, batches);

    const publishBench = benchContext(context.runId, "trcp");
    const kafka = benchKafka(context, "tracing");
    await createTopic(kafka, topicOf(publishBench), options.partitions);
    const publisher = new MilestonePublisher(publishBench, { kafka });
    let publishShare: TracingShare;
    try {
      for (let i = 0; i < options.warmup; i++) await publisher.publish(milestoneInput(publishBench, i));
      publishShare = await profiled(async () => {
        for (let i = 0; i < options.sequentialEvents; i++) await publisher.publish(milestoneInput(publishBench, options.warmup + i));
      });
    } finally {
      await publisher.close();
    }

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const withProvider = await wrapperPass(wrapperBench, batches);
    const recorded = exporter.getFinishedSpans().length;
    if (recorded < records) throw new SectionFailure(`with a provider, consume() recorded ${recorded} spans for ${records} records`);

    const micros = (ms: number) => round((ms * 1000) / records);
    context.log(`tracing without a provider: ${consumeShare.percent}% of consume()'s CPU samples, ${publishShare.percent}% of the publisher's`);
    return {
      data: { records, publishes: options.sequentialEvents, consume: consumeShare, publish: publishShare, microsPerRecord: { withoutProvider: micros(withoutProvider), withProvider: micros(withProvider) }, spansRecorded: recorded },
      tables: [
        {
          title: "Tracing with no OpenTelemetry provider: share of CPU samples with a tracing frame on the stack",
          columns: ["path", "samples", "in tracing", "%"],
          rows: [
            [`consume(), ${records} records`, consumeShare.samples, consumeShare.inTracing, consumeShare.percent],
            [`publisher, ${options.sequentialEvents} sequential publishes`, publishShare.samples, publishShare.inTracing, publishShare.percent],
          ],
          note: "V8's sampling profiler at 100 µs; a sample counts when any frame of its stack is in @opentelemetry/* or platform/runtime/trace-context.ts.",
        },
        {
          title: "consume() per record, without and with a provider recording every span in memory",
          columns: ["measure", "no provider", "provider", "ratio"],
          rows: [["µs per record", micros(withoutProvider), micros(withProvider), `${(withProvider / withoutProvider).toFixed(2)}x`], ["spans recorded", 0, recorded, "-"]],
          note: "One pass each, the provider's second (a registered provider stays the process's); prepared batches as the wrapper section's.",
        },
      ],
    };
  },
};

/** Runs `work` under V8's CPU profiler and counts the samples whose stack holds a tracing frame. */
async function profiled(work: () => Promise<unknown>): Promise<TracingShare> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
    await work();
    const { profile } = await session.post("Profiler.stop");
    return tracingShare(profile);
  } finally {
    session.disconnect();
  }
}

type Profile = { nodes: { id: number; callFrame: { url: string; functionName: string }; children?: number[] }[]; samples?: number[] };

function tracingShare(profile: Profile): TracingShare {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const url = new Map(profile.nodes.map((node) => [node.id, node.callFrame.url]));
  const inTracing = new Map<number, boolean>();
  const traced = (id: number): boolean => {
    const known = inTracing.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const value = TRACING_FRAME.test(url.get(id) ?? "") || (up !== undefined && traced(up));
    inTracing.set(id, value);
    return value;
  };
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  const samples = (profile.samples ?? []).filter((id) => !idle.has(id));
  const counted = samples.filter(traced).length;
  return { samples: samples.length, inTracing: counted, percent: samples.length ? round((100 * counted) / samples.length) : 0 };
}
