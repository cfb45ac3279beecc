/** Latency percentiles in milliseconds, nearest-rank on the sorted samples. */
export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function latency(samples: ArrayLike<number>): Latency {
  const sorted = Float64Array.from(samples).sort();
  const count = sorted.length;
  if (count === 0) return { count, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (q: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[count - 1]!, mean: sum / count };
}

/** Rounds for JSON and tables: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

export function median(values: readonly number[]): number {
  return latency(values).p50;
}
