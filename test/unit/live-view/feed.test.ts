import type { Snapshot } from "../../../platform/local/demo";
import type { LocalRuntime } from "../../../platform/local/runtime";
import type { DeadLetterReader } from "../../../platform/live-view/dead-letter-reader";
import { LiveFeed } from "../../../platform/live-view/feed";
import type { LiveState } from "../../../platform/live-view/live-data";

const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A runtime with one group and nothing else; `askedBroker` counts its snapshots' broker calls (lag). */
function fakeRuntime() {
  let askedBroker = 0;
  const runtime = {
    machines: new Map(),
    published: [],
    groups: new Map([["g", { name: "g", delivered: new Map(), deliveries: [], failed: 0, onFailure: 0, filtered: 0, running: true }]]),
    subscriptions: new Map([["g", new Set<string>()]]),
    lag: async () => (askedBroker++, 0),
    deadLettered: async () => 0,
  };
  return { runtime: runtime as unknown as LocalRuntime, askedBroker: () => askedBroker };
}

const deadLetters = { all: [], read: async () => {} } as unknown as DeadLetterReader;

const demoSnapshot = (started: number): Snapshot => ({
  elapsedMs: 0,
  started,
  planned: 10,
  contexts: [],
  milestones: {},
  groups: [{ name: "g", expected: 0, delivered: 0, failed: 0, filtered: 0, deadLettered: 0, lag: 0, running: true }],
});

describe("LiveFeed", () => {
  it("asks the broker nothing while no page listens, and polls while one does", async () => {
    // Prepare
    const { runtime, askedBroker } = fakeRuntime();
    const feed = await LiveFeed.start({ runtime, deadLetters, pollMs: POLL_MS });
    const atStart = askedBroker();

    try {
      // Act
      await sleep(POLL_MS * 5);
      const idle = askedBroker() - atStart;
      const unsubscribe = feed.subscribe(() => {});
      await sleep(POLL_MS * 5);
      const watched = askedBroker() - atStart - idle;
      unsubscribe();
      await sleep(POLL_MS * 2);
      const afterClose = askedBroker();
      await sleep(POLL_MS * 5);

      // Assess
      expect(idle).toBe(0);
      expect(watched).toBeGreaterThanOrEqual(2);
      expect(askedBroker()).toBe(afterClose);
    } finally {
      feed.stop();
    }
  });

  it("shows the demo's snapshots as they come, with no poll of its own meanwhile, then polls with the demo's started/planned", async () => {
    // Prepare
    const { runtime, askedBroker } = fakeRuntime();
    // Polls 10 times slower than the demo shows: a loaded machine does not make a show late.
    const feed = await LiveFeed.start({ runtime, deadLetters, pollMs: POLL_MS * 5 });
    const states: LiveState[] = [];
    const unsubscribe = feed.subscribe((state) => states.push(state));
    await sleep(POLL_MS * 2);

    try {
      // Act: the demo shows a snapshot more often than the feed would poll.
      const before = askedBroker();
      for (let started = 1; started <= 6; started++) {
        feed.show(demoSnapshot(started));
        await sleep(POLL_MS / 2);
      }
      const whileShown = askedBroker() - before;
      await sleep(POLL_MS * 15);
      const status = await feed.snapshot();

      // Assess
      expect(whileShown).toBe(0);
      expect(states.map((s) => s.snapshot.started)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(askedBroker()).toBeGreaterThan(before);
      expect([status.started, status.planned]).toEqual([6, 10]);
    } finally {
      unsubscribe();
      feed.stop();
    }
  });

  it("counts executions started over HTTP apart from the demo's, and pushes the change", async () => {
    // Prepare
    const { runtime } = fakeRuntime();
    const feed = await LiveFeed.start({ runtime, deadLetters, pollMs: 60_000 });
    const states: LiveState[] = [];
    feed.subscribe((state) => states.push(state));

    try {
      // Act
      feed.show(demoSnapshot(10));
      feed.countStartedOverHttp();
      feed.countStartedOverHttp();

      // Assess
      expect(states.map((s) => [s.snapshot.started, s.startedOverHttp])).toEqual([
        [10, 0],
        [10, 1],
        [10, 2],
      ]);
    } finally {
      feed.stop();
    }
  });
});
