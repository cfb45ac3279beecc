import { type Baseline, baselineOf, type Snapshot, takeSnapshot } from "../local/demo";
import type { LocalRuntime } from "../local/runtime";
import type { DeadLetterReader } from "./dead-letter-reader";
import { type LiveState, liveState, stateSignature } from "./live-data";

export interface LiveFeedOptions {
  readonly runtime: LocalRuntime;
  readonly deadLetters: DeadLetterReader;
  /** How often it asks the runtime (and the broker, for lags and dead letters) while a page watches. @default 500 */
  readonly pollMs?: number;
}

/**
 * The run's state for the page, told to its listeners only when something changed. While a demo
 * runs it shows the demo's own snapshots (`show`): the demo takes one every 250 ms anyway, and
 * asking the broker twice would double the admin calls. Otherwise it polls the runtime itself,
 * and only while someone listens (a page on `/live`): with no page open it costs nothing.
 * Counts start from where the runtime was when the feed started (its baseline), so a run on a
 * broker holding other runs' dead letters shows its own, as the demo's summary does.
 */
export class LiveFeed {
  private latest: LiveState;
  private signature: string;
  private readonly listeners = new Set<(state: LiveState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  /** The demo's progress as its last snapshot said, for the header of the feed's own snapshots. */
  private progress = { started: 0, planned: 0 };
  private shownAt = Number.NEGATIVE_INFINITY;
  private overHttp = 0;

  private constructor(
    private readonly options: LiveFeedOptions,
    private readonly baseline: Baseline,
    private readonly startedAt: number,
    first: Snapshot,
  ) {
    this.latest = liveState(first, options.deadLetters.all, 0);
    this.signature = stateSignature(this.latest);
  }

  /** Takes the baseline and a first snapshot; it polls once a listener subscribes. */
  static async start(options: LiveFeedOptions): Promise<LiveFeed> {
    const startedAt = Date.now();
    const baseline = await baselineOf(options.runtime);
    return new LiveFeed(options, baseline, startedAt, await takeSnapshot(options.runtime, 0, 0, startedAt, baseline));
  }

  /** The latest state, as last pushed. */
  get state(): LiveState {
    return this.latest;
  }

  /** How often a poll is due. */
  private get pollMs(): number {
    return this.options.pollMs ?? 500;
  }

  /** A fresh snapshot, counted from the feed's baseline (`GET /status`, on demand). */
  snapshot(): Promise<Snapshot> {
    return takeSnapshot(this.options.runtime, this.progress.started, this.progress.planned, this.startedAt, this.baseline);
  }

  /** A snapshot taken by someone else (the demo, every 250 ms): shown as is, and no poll is due until it is `pollMs` old. */
  show(snapshot: Snapshot): void {
    if (this.stopped) return;
    this.shownAt = Date.now();
    this.progress = { started: snapshot.started, planned: snapshot.planned };
    this.update(snapshot);
  }

  /** One more execution started over HTTP, for the header. */
  countStartedOverHttp(): void {
    this.overHttp++;
    this.update(this.latest.snapshot);
  }

  /** Calls `listener` with each changed state until the returned function is called; polls while any listens. */
  subscribe(listener: (state: LiveState) => void): () => void {
    this.listeners.add(listener);
    // A page that opens after a quiet spell gets the latest state at once, and a fresh one soon after.
    if (this.listeners.size === 1 && !this.polling) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) clearTimeout(this.timer);
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** One poll at a time: the next is scheduled when this one is done, however long the broker took. */
  private schedule(delayMs = this.pollMs): void {
    clearTimeout(this.timer);
    if (this.stopped || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.polling = true;
      void this.poll().finally(() => {
        this.polling = false;
        this.schedule();
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    if (Date.now() - this.shownAt < this.pollMs) return;
    const snapshot = await this.snapshot().catch(() => undefined);
    if (snapshot && !this.stopped) this.update(snapshot);
  }

  private update(snapshot: Snapshot): void {
    // Dead letters are read back only once there are some: a clean run never starts that reader.
    if (snapshot.groups.some((g) => g.deadLettered > 0)) void this.options.deadLetters.read().catch(() => {});
    const state = liveState(snapshot, this.options.deadLetters.all, this.overHttp);
    const signature = stateSignature(state);
    this.latest = state;
    if (signature === this.signature) return;
    this.signature = signature;
    for (const listener of this.listeners) listener(state);
  }
}
