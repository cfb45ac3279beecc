import type { LocalExecution } from "./executor";
import type { LocalRuntime } from "./runtime";

/** Executions a demo starts, and what each is expected to end as. */
export interface Scenario {
  readonly context: string;
  readonly executions: readonly { readonly name: string; readonly input: unknown; readonly expect: "SUCCEEDED" | "FAILED" }[];
}

/** What the live view shows; taken every refresh. */
export interface Snapshot {
  readonly elapsedMs: number;
  readonly started: number;
  readonly planned: number;
  readonly contexts: readonly { name: string; running: number; succeeded: number; failed: number; byState: Record<string, number> }[];
  readonly milestones: Readonly<Record<string, number>>;
  readonly groups: readonly { name: string; expected: number; delivered: number; failed: number; deadLettered: number; lag: number; running: boolean }[];
}

export interface DemoResult {
  readonly ok: boolean;
  readonly wallMs: number;
  readonly published: number;
  readonly deliveries: number;
  readonly problems: readonly string[];
  readonly last: Snapshot;
}

export interface RunDemoOptions {
  /** Executions started per second. */
  readonly rate: number;
  /** Gives up after this long. */
  readonly timeoutMs: number;
  /** Called with a fresh snapshot about every `refreshMs`. */
  readonly onSnapshot?: (snapshot: Snapshot) => void;
  readonly refreshMs?: number;
}

/**
 * Starts the scenario's executions at `rate`, then waits until every execution (including those
 * consumer groups start) has ended and every subscribed group has received every event published
 * for it. OK only if each execution ended as expected and no group missed an event.
 */
export async function runDemo(runtime: LocalRuntime, scenario: Scenario, options: RunDemoOptions): Promise<DemoResult> {
  const startedAt = Date.now();
  const started: LocalExecution[] = [];
  const intervalMs = 1000 / options.rate;
  let stopTicker = false;
  const ticker = (async () => {
    while (!stopTicker) {
      const snapshot = await takeSnapshot(runtime, started.length, scenario.executions.length, startedAt);
      options.onSnapshot?.(snapshot);
      await new Promise((resolve) => setTimeout(resolve, options.refreshMs ?? 250));
    }
  })();

  for (const [index, execution] of scenario.executions.entries()) {
    const due = startedAt + index * intervalMs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    started.push(runtime.startExecution(scenario.context, execution.name, execution.input));
  }

  let problems: string[] = [];
  let last = await takeSnapshot(runtime, started.length, scenario.executions.length, startedAt);
  while (Date.now() - startedAt < options.timeoutMs) {
    last = await takeSnapshot(runtime, started.length, scenario.executions.length, startedAt);
    problems = missing(runtime, last);
    if (problems.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stopTicker = true;
  await ticker;
  options.onSnapshot?.(last);

  for (const [index, expected] of scenario.executions.entries()) {
    const execution = started[index]!;
    if (execution.status !== expected.expect) {
      problems.push(`${scenario.context} execution ${execution.name} ended ${execution.status}${execution.error ? ` (${execution.error.name})` : ""}, expected ${expected.expect}`);
    }
  }
  if (Date.now() - startedAt >= options.timeoutMs) problems.unshift(`timed out after ${options.timeoutMs} ms`);
  return {
    ok: problems.length === 0,
    wallMs: Date.now() - startedAt,
    published: runtime.published.length,
    deliveries: [...runtime.groups.values()].reduce((sum, g) => sum + g.delivered.size, 0),
    problems,
    last,
  };
}

/** What is still missing: running executions, and events a subscribed group has not received. */
export function missing(runtime: LocalRuntime, snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const running = snapshot.contexts.reduce((sum, c) => sum + c.running, 0);
  if (running > 0) problems.push(`${running} executions still running`);
  for (const group of snapshot.groups) {
    if (group.delivered < group.expected) problems.push(`${group.name} received ${group.delivered} of ${group.expected} events`);
  }
  return problems;
}

/** The event ids each group should receive: every published event of a type it subscribes to. */
export function expectedFor(runtime: LocalRuntime, group: string): Set<string> {
  const consumer = runtime.subscriptions.get(group);
  return new Set(runtime.published.filter((event) => consumer?.has(event.type)).map((event) => event.eventId));
}

export async function takeSnapshot(runtime: LocalRuntime, started: number, planned: number, startedAt: number): Promise<Snapshot> {
  const contexts = [...runtime.machines.values()].map((machine) => {
    const byState: Record<string, number> = {};
    let running = 0;
    let succeeded = 0;
    let failed = 0;
    for (const execution of machine.all) {
      if (execution.status === "RUNNING") {
        running++;
        const state = execution.currentState ?? "(starting)";
        byState[state] = (byState[state] ?? 0) + 1;
      } else if (execution.status === "SUCCEEDED") succeeded++;
      else failed++;
    }
    return { name: machine.context.name, running, succeeded, failed, byState };
  });
  const milestones: Record<string, number> = {};
  for (const event of runtime.published) milestones[event.type] = (milestones[event.type] ?? 0) + 1;
  const groups = await Promise.all(
    [...runtime.groups.values()].map(async (group) => {
      const expected = expectedFor(runtime, group.name);
      const delivered = [...expected].filter((id) => group.delivered.has(id)).length;
      const [lag, deadLettered] = await Promise.all([runtime.lag(group.name).catch(() => -1), runtime.deadLettered(group.name).catch(() => -1)]);
      return { name: group.name, expected: expected.size, delivered, failed: group.failed, deadLettered, lag, running: group.running };
    }),
  );
  return { elapsedMs: Date.now() - startedAt, started, planned, contexts, milestones, groups };
}
