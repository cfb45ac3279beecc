import { type Baseline, baselineOf, type Snapshot, takeSnapshot } from "../local/demo";
import type { LocalRuntime } from "../local/runtime";
import type { DeadLetterReader } from "./dead-letter-reader";
import { type LiveState, liveState, stateSignature } from "./live-data";

/** How far a demo has got: what the page's header shows as started/planned. */
export type Progress = () => { readonly started: number; readonly planned: number };

export interface LiveFeedOptions {
  readonly runtime: LocalRuntime;
  readonly deadLetters: DeadLetterReader;
  /** @default nothing started, nothing planned (executions come over HTTP) */
  readonly progress?: Progress;
  /** How often it asks the runtime (and the broker, for lags and dead letters). @default 500 */
  readonly pollMs?: number;
}

/**
 * The run's state for the page: polls the runtime, and tells its listeners only when something
 * changed. Counts start from where the runtime was when the feed started (its baseline), so a
 * run on a broker holding other runs' dead letters shows its own, as the demo's summary does.
 */
export class LiveFeed {
  private latest: LiveState;
  private signature: string;
  private readonly listeners = new Set<(state: LiveState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly options: LiveFeedOptions,
    private readonly baseline: Baseline,
    private readonly startedAt: number,
    first: LiveState,
  ) {
    this.latest = first;
    this.signature = stateSignature(first);
  }

  /** Takes the baseline and a first state, then polls until stopped. */
  static async start(options: LiveFeedOptions): Promise<LiveFeed> {
    const startedAt = Date.now();
    const baseline = await baselineOf(options.runtime);
    const progress = options.progress?.() ?? { started: 0, planned: 0 };
    const first = liveState(await takeSnapshot(options.runtime, progress.started, progress.planned, startedAt, baseline), options.deadLetters.all);
    const feed = new LiveFeed(options, baseline, startedAt, first);
    feed.schedule();
    return feed;
  }

  /** The latest state, as last pushed. */
  get state(): LiveState {
    return this.latest;
  }

  /** A fresh snapshot, counted from the feed's baseline. */
  snapshot(): Promise<Snapshot> {
    const progress = this.options.progress?.() ?? { started: 0, planned: 0 };
    return takeSnapshot(this.options.runtime, progress.started, progress.planned, this.startedAt, this.baseline);
  }

  /** Calls `listener` with each changed state until the returned function is called. */
  subscribe(listener: (state: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** One poll at a time: the next is scheduled when this one is done, however long the broker took. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.options.pollMs ?? 500);
  }

  private async poll(): Promise<void> {
    const snapshot = await this.snapshot().catch(() => undefined);
    if (!snapshot || this.stopped) return;
    // Dead letters are read back only once there are some: a clean run never starts that reader.
    if (snapshot.groups.some((g) => g.deadLettered > 0)) void this.options.deadLetters.read().catch(() => {});
    const state = liveState(snapshot, this.options.deadLetters.all);
    const signature = stateSignature(state);
    this.latest = state;
    if (signature === this.signature) return;
    this.signature = signature;
    for (const listener of this.listeners) listener(state);
  }
}
