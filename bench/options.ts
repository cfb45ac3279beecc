/** The sections, in the order they run; `--only` takes these names. */
export const SECTION_NAMES = ["publish", "consume", "wrapper", "end-to-end", "broker-ceiling", "clients", "tracing", "cold-start", "pulumi-scale"] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type Mode = "quick" | "default" | "long";

export interface BenchOptions {
  readonly mode: Mode;
  /** Events per publish (32 in flight), consume and end-to-end saturation measurement. */
  readonly events: number;
  /** Records each consumer reads: reading is cheap, and more records dilute the group join. */
  readonly consumeEvents: number;
  /** Events per sequential publish measurement: one call at a time is far slower. */
  readonly sequentialEvents: number;
  /** Events sent and dropped before each measurement, to warm connections and the JIT. */
  readonly warmup: number;
  /** Publish calls in flight in the concurrent and saturation measurements. */
  readonly concurrency: number;
  /** End to end: the fixed offered rates (events/s), each held for `seconds` per side. */
  readonly rates: readonly number[];
  readonly seconds: number;
  /** Records the broker's own producer performance tool sends. */
  readonly ceilingRecords: number;
  /** Fresh `node` processes per bundle and source-map setting; the median is reported. */
  readonly coldStartRuns: number;
  /** Consumer group counts of the Pulumi scaling runs (0, the baseline, is always run). */
  readonly pulumiGroups: readonly number[];
  /** Partitions of every topic the benchmark creates. */
  readonly partitions: number;
}

type Preset = Omit<BenchOptions, "mode" | "sequentialEvents" | "consumeEvents" | "partitions">;

const PRESETS: Record<Mode, Preset> = {
  // A smoke run: every section, tiny sizes (figures are noise).
  quick: { events: 400, warmup: 50, concurrency: 32, rates: [100, 300], seconds: 3, ceilingRecords: 20_000, coldStartRuns: 2, pulumiGroups: [10] },
  // Under 5 minutes on a 2-core machine.
  default: { events: 5_000, warmup: 200, concurrency: 32, rates: [200, 1_000], seconds: 10, ceilingRecords: 200_000, coldStartRuns: 5, pulumiGroups: [10, 100, 500] },
  // Tighter percentiles and a bigger program.
  long: { events: 50_000, warmup: 1_000, concurrency: 32, rates: [200, 1_000], seconds: 60, ceilingRecords: 2_000_000, coldStartRuns: 15, pulumiGroups: [10, 100, 500, 1000] },
};

export interface Overrides {
  events?: number;
  rates?: number[];
  seconds?: number;
  concurrency?: number;
}

export function benchOptions(mode: Mode, overrides: Overrides): BenchOptions {
  const preset = PRESETS[mode];
  const events = overrides.events ?? preset.events;
  return {
    ...preset,
    mode,
    events,
    sequentialEvents: Math.max(50, Math.round(events / 5)),
    consumeEvents: events * 4,
    warmup: Math.min(preset.warmup, events),
    concurrency: overrides.concurrency ?? preset.concurrency,
    rates: overrides.rates ?? preset.rates,
    seconds: overrides.seconds ?? preset.seconds,
    partitions: 3,
  };
}

/** Starts the line bench/pulumi-scale-child.ts prints its JSON result on. */
export const PULUMI_RESULT_PREFIX = "BENCH_RESULT ";
