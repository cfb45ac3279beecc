import { randomFillSync } from "node:crypto";
import { isSpanContextValid, ProxyTracerProvider, ROOT_CONTEXT, type SpanContext, trace, TraceFlags, type Tracer } from "@opentelemetry/api";

/**
 * Trace context across contexts. An event carries it as the CloudEvents distributed-tracing
 * extension (`traceparent`, `tracestate`, W3C Trace Context); a Step Functions execution carries it
 * as its X-Ray trace header, which StartExecution takes (`traceHeader`) and Step Functions passes to
 * the Lambda functions its tasks invoke (`_X_AMZN_TRACE_ID`). The two name the same trace: an
 * X-Ray trace id `1-<8 hex>-<24 hex>` is the W3C trace id `<8 hex><24 hex>`, as the OpenTelemetry
 * X-Ray propagator maps them.
 * https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/distributed-tracing.md
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
 */

/**
 * The tracer of the platform's spans: a no-op until an OpenTelemetry provider is registered. The
 * API's proxy tracer finds a provider registered later, so one per process is enough.
 */
export const tracer = (): Tracer => (platformTracer ??= trace.getTracer("ensemble"));
let platformTracer: Tracer | undefined;

/** What the API's global proxy hands out while no provider is registered. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether spans are recorded: a provider is registered (the collector layer's, or `npm start`'s).
 * Paths that run per record skip building a no-op span when not, so tracing costs them nothing
 * by default. A provider registered through another copy of the API counts as registered.
 */
export function tracingOn(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const XRAY_ROOT = /(?:^|;)\s*Root=1-([0-9a-f]{8})-([0-9a-f]{24})/i;
const XRAY_PARENT = /(?:^|;)\s*Parent=([0-9a-f]{16})/i;
const XRAY_SAMPLED = /(?:^|;)\s*Sampled=([01?])/i;

/** The span context a `traceparent` names (and its `tracestate`), or undefined when it is not a valid one. */
export function fromTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== "string") return undefined;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match) return undefined;
  const context: SpanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) & 1, isRemote: true };
  if (!isSpanContextValid(context)) return undefined;
  return typeof tracestate === "string" && tracestate.length > 0 ? { ...context, traceState: createTraceState(tracestate) } : context;
}

export function toTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

/** The span context an X-Ray trace header names; its `Parent` may be absent (a new root). */
export function fromXRayHeader(header: unknown): SpanContext | undefined {
  if (typeof header !== "string") return undefined;
  const root = XRAY_ROOT.exec(header);
  if (!root) return undefined;
  const parent = XRAY_PARENT.exec(header)?.[1] ?? randomHex(8);
  const sampled = XRAY_SAMPLED.exec(header)?.[1] === "1";
  const context: SpanContext = { traceId: `${root[1]}${root[2]}`.toLowerCase(), spanId: parent.toLowerCase(), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
  return isSpanContextValid(context) ? context : undefined;
}

export function toXRayHeader(context: SpanContext): string {
  return `Root=1-${context.traceId.slice(0, 8)}-${context.traceId.slice(8)};Parent=${context.spanId};Sampled=${context.traceFlags & 1}`;
}

/**
 * A new trace: its id begins with the time in seconds, as X-Ray wants of the trace ids it takes
 * (a trace id that X-Ray would refuse could not go through StartExecution's trace header).
 */
export function newTrace(): SpanContext {
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, "0");
  return { traceId: `${seconds}${randomHex(12)}`, spanId: randomHex(8), traceFlags: TraceFlags.SAMPLED, isRemote: false };
}

/** The context to start a span in, under `parent` when there is one. */
export const contextUnder = (parent: SpanContext | undefined) => (parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT);

/**
 * What a span passes on: its own context when a provider records it, else its parent's (the no-op
 * tracer's spans carry their parent's context), else a new trace, so every event carries one.
 */
export function propagated(spanContext: SpanContext, parent: SpanContext | undefined): SpanContext {
  if (isSpanContextValid(spanContext)) return spanContext;
  return parent ?? newTrace();
}

const randomPool = Buffer.alloc(4096);
let poolUsed = randomPool.length;

/**
 * Random hex from a pool of crypto-random bytes refilled 4 KB at a time: one system call per ~200
 * new traces. A call per id (crypto.randomBytes) cost ~30 µs a publish here (randomFillSync is a
 * system call on this VM), and Math.random with string padding ~7 µs when the code runs cold, as it
 * does after each send's wait at one publish in flight. Ids need to be unlikely to collide, not secret.
 */
function randomHex(bytes: number): string {
  if (poolUsed + bytes > randomPool.length) {
    randomFillSync(randomPool);
    poolUsed = 0;
  }
  const start = poolUsed;
  poolUsed += bytes;
  // All zeros is invalid in W3C Trace Context.
  for (let i = start; i < poolUsed; i++) if (randomPool[i] !== 0) return randomPool.toString("hex", start, poolUsed);
  return randomHex(bytes);
}

/** A minimal `TraceState` (the API's interface) over the header's text, kept as given. */
function createTraceState(header: string) {
  const entries = new Map(
    header
      .split(",")
      .map((member) => member.trim().split("="))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair[0]!.length > 0),
  );
  const state = {
    get: (key: string) => entries.get(key),
    set: (key: string, value: string) => createTraceState(serialize(new Map([[key, value], ...[...entries].filter(([k]) => k !== key)]))),
    unset: (key: string) => createTraceState(serialize(new Map([...entries].filter(([k]) => k !== key)))),
    serialize: () => serialize(entries),
  };
  return state;
}

const serialize = (entries: Map<string, string>) => [...entries].map(([k, v]) => `${k}=${v}`).join(",");
