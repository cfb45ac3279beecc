import type { Scenario, Violation } from "../model";
import { valueAt } from "../model/wait-for";
import type { LocalExecution } from "./state-machine";
import type { LocalRuntime } from "./runtime";

/** What the live view shows; taken every refresh. */
export interface Snapshot {
  readonly elapsedMs: number;
  readonly started: number;
  readonly planned: number;
  readonly contexts: readonly { name: string; running: number; succeeded: number; failed: number; byState: Record<string, number> }[];
  /** Distinct event ids published, by type. */
  readonly milestones: Readonly<Record<string, number>>;
  /** `expected`: published events of the types the group subscribes to; `deadLettered`: -1 when its topic could not be read. */
  readonly groups: readonly { name: string; expected: number; delivered: number; failed: number; filtered: number; deadLettered: number; lag: number; running: boolean }[];
}

/**
 * Where a run starts in a runtime that may have run before (tests run several scenarios on one
 * runtime): what was published, started and dead-lettered until then is not the run's.
 */
export interface Baseline {
  readonly published: number;
  readonly executions: ReadonlyMap<string, number>;
  readonly deadLettered: ReadonlyMap<string, number>;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly wallMs: number;
  readonly published: number;
  readonly deliveries: number;
  readonly problems: readonly string[];
  readonly last: Snapshot;
  /** How many business keys ended in each end state the scenario names, as checked against their events. */
  readonly endStates: Readonly<Record<string, number>>;
  /** What the invariants group found once the run settled. */
  readonly violations: readonly Violation[];
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
 * Starts the scenario's executions at `rate`, then waits until nothing runs and every group has
 * delivered or dead-lettered every event published for it (or the timeout). The verdict (see
 * `verdict`) covers only what this run published and started.
 */
export async function runDemo(runtime: LocalRuntime, scenario: Scenario, options: RunDemoOptions): Promise<DemoResult> {
  const startedAt = Date.now();
  const since = await baselineOf(runtime);
  const started: LocalExecution[] = [];
  const snapshot = () => takeSnapshot(runtime, started.length, scenario.executions.length, startedAt, since);
  const intervalMs = 1000 / options.rate;
  const refreshMs = options.refreshMs ?? 250;
  const starting = (async () => {
    for (const [index, execution] of scenario.executions.entries()) {
      const due = startedAt + index * intervalMs;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      started.push(runtime.startExecution(scenario.context, execution.name, execution.input));
    }
  })();
  let startFailed = false;
  starting.catch(() => (startFailed = true)); // rethrown by `await starting` below

  // One loop both feeds the view and decides when the run is over: every snapshot asks the
  // broker for each group's lag and dead letters, so it is taken once per turn, not per reader.
  let last: Snapshot;
  let shownAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    last = await snapshot();
    if (Date.now() - shownAt >= refreshMs) {
      options.onSnapshot?.(last);
      shownAt = Date.now();
    }
    if (startFailed) break;
    const allStarted = last.started === last.planned;
    if (allStarted && (settled(last) || Date.now() - startedAt >= options.timeoutMs)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await starting;
  const timedOut = !settled(last);
  options.onSnapshot?.(last);

  // Every flow is over: what an invariant still expects will not come.
  const violations = timedOut ? [] : await runtime.settleInvariants();
  const published = runtime.published.slice(since.published);
  const problems = verdict(scenario, { executions: executionsSince(runtime, since), snapshot: last, published, violations, ...(timedOut ? { timedOutAfterMs: options.timeoutMs } : {}) });
  // Counted from what happened: a key whose events differ from its end state's is not counted.
  const wrong = scenario.key ? new Set(keyMismatches(scenario, scenario.key, published).keys()) : new Set<string>();
  const endStates: Record<string, number> = {};
  for (const execution of scenario.executions) {
    if (!execution.endState || (scenario.key && wrong.has(String(valueAt(execution.input, scenario.key))))) continue;
    endStates[execution.endState] = (endStates[execution.endState] ?? 0) + 1;
  }
  return {
    ok: problems.length === 0,
    wallMs: Date.now() - startedAt,
    published: published.length,
    deliveries: last.groups.reduce((sum, g) => sum + g.delivered, 0),
    problems,
    last,
    endStates,
    violations,
  };
}

/** Nothing runs, and every group has delivered or dead-lettered every event published for it: nothing more will happen. */
export function settled(snapshot: Snapshot): boolean {
  return snapshot.contexts.every((c) => c.running === 0) && snapshot.groups.every((g) => g.delivered + Math.max(g.deadLettered, 0) >= g.expected);
}

/** What a run ended with, as `verdict` judges it. */
export interface Outcome {
  /** Every execution the run started: the scenario's and those consumer groups started. */
  readonly executions: readonly Pick<LocalExecution, "context" | "name" | "status" | "error">[];
  readonly snapshot: Snapshot;
  /** What the run published (retries included), for the checks by business key. */
  readonly published?: readonly { readonly eventId: string; readonly type: string; readonly data: unknown }[];
  /** What the invariants group reported once the run settled. */
  readonly violations?: readonly Violation[];
  /** Set when the run gave up waiting. */
  readonly timedOutAfterMs?: number;
}

/**
 * The problems with a run, none if it is OK: each scenario execution ended as expected; every
 * execution a consumer group started SUCCEEDED; each event type was published exactly as often
 * as the scenario expects; every group received every event published for it; nothing was
 * dead-lettered.
 */
export function verdict(scenario: Scenario, outcome: Outcome): string[] {
  const problems: string[] = [];
  if (outcome.timedOutAfterMs !== undefined) problems.push(`timed out after ${outcome.timedOutAfterMs} ms`);
  const ended = (e: Outcome["executions"][number]) => `${e.status}${e.error ? ` (${e.error.name})` : ""}`;

  const own = new Map(outcome.executions.filter((e) => e.context === scenario.context).map((e) => [e.name, e]));
  for (const expected of scenario.executions) {
    const execution = own.get(expected.name);
    if (!execution) problems.push(`${scenario.context} execution ${expected.name} was never started`);
    else if (execution.status !== expected.expect) problems.push(`${scenario.context} execution ${expected.name} ended ${ended(execution)}, expected ${expected.expect}`);
  }
  const planned = new Set(scenario.executions.map((e) => e.name));
  const others = outcome.executions.filter((e) => !(e.context === scenario.context && planned.has(e.name)) && e.status !== "SUCCEEDED");
  // Those the scenario expects to fail (a failure milestone's executions) are counted, not listed.
  const expectedFailures = scenario.startedFailures ?? {};
  const unexpected = others.filter((e) => expectedFailures[e.context] === undefined);
  problems.push(...capped(unexpected.map((e) => `${e.context} execution ${e.name} (started by a consumer group) ended ${ended(e)}, expected SUCCEEDED`)));
  for (const [context, expected] of Object.entries(expectedFailures)) {
    const failed = others.filter((e) => e.context === context).length;
    if (failed !== expected) problems.push(`${context}: ${failed} executions started by consumer groups did not succeed, expected ${expected}`);
  }
  if (scenario.key && outcome.published) problems.push(...capped([...keyMismatches(scenario, scenario.key, outcome.published).values()]));
  problems.push(
    ...capped(
      (outcome.violations ?? []).map((v) => `invariant ${v.invariant} violated for ${v.key} (${v.kind}): ${v.message} Events seen: ${v.events.map((e) => e.type).join(", ") || "none"}.`),
    ),
  );

  const types = [...new Set([...Object.keys(scenario.milestones), ...Object.keys(outcome.snapshot.milestones)])].sort();
  for (const type of types) {
    const expected = scenario.milestones[type] ?? 0;
    const published = outcome.snapshot.milestones[type] ?? 0;
    if (published !== expected) problems.push(`${type}: ${published} published, expected ${expected}`);
  }

  for (const group of outcome.snapshot.groups) {
    if (group.delivered < group.expected) problems.push(`${group.name} received ${group.delivered} of ${group.expected} events`);
    if (group.deadLettered > 0) problems.push(`${group.name} dead-lettered ${group.deadLettered} records`);
    if (group.deadLettered < 0) problems.push(`${group.name}: its dead-letter topic could not be read`);
  }
  return problems;
}

/** The scenario's business keys whose events differ from what the scenario expects for them, by type (distinct ids), each with what differs. */
function keyMismatches(scenario: Scenario, keyPath: string, published: NonNullable<Outcome["published"]>): Map<string, string> {
  const byKey = new Map<string, Map<string, Set<string>>>();
  for (const event of published) {
    const key = valueAt(event.data, keyPath);
    if (key === undefined || key === null) continue;
    const types = byKey.get(String(key)) ?? new Map<string, Set<string>>();
    byKey.set(String(key), types.set(event.type, (types.get(event.type) ?? new Set()).add(event.eventId)));
  }
  const problems = new Map<string, string>();
  for (const execution of scenario.executions) {
    if (!execution.events) continue;
    const key = String(valueAt(execution.input, keyPath));
    const seen = byKey.get(key) ?? new Map<string, Set<string>>();
    const types = [...new Set([...Object.keys(execution.events), ...seen.keys()])].sort();
    const wrong = types.filter((type) => (seen.get(type)?.size ?? 0) !== (execution.events![type] ?? 0));
    if (wrong.length > 0) {
      const counts = wrong.map((type) => `${type} ${seen.get(type)?.size ?? 0} (expected ${execution.events![type] ?? 0})`).join(", ");
      problems.set(key, `${key}${execution.endState ? ` (${execution.endState})` : ""}: ${counts}`);
    }
  }
  return problems;
}

/** At most `max` problems of one kind, then how many more: one broken group must not flood the summary. */
function capped(lines: readonly string[], max = 10): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `... and ${lines.length - max} more like these`];
}

/** What the runtime has published, started and dead-lettered so far. */
export async function baselineOf(runtime: LocalRuntime): Promise<Baseline> {
  const deadLettered = await Promise.all([...runtime.groups.keys()].map(async (name) => [name, await runtime.deadLettered(name).catch(() => 0)] as const));
  return {
    published: runtime.published.length,
    executions: new Map([...runtime.machines].map(([name, machine]) => [name, machine.all.length])),
    deadLettered: new Map(deadLettered),
  };
}

function executionsSince(runtime: LocalRuntime, since?: Baseline): LocalExecution[] {
  return [...runtime.machines].flatMap(([name, machine]) => machine.all.slice(since?.executions.get(name) ?? 0));
}

/** The runtime's progress; with `since`, only what happened after that baseline. */
export async function takeSnapshot(runtime: LocalRuntime, started: number, planned: number, startedAt: number, since?: Baseline): Promise<Snapshot> {
  const contexts = [...runtime.machines].map(([name, machine]) => {
    const byState: Record<string, number> = {};
    let running = 0;
    let succeeded = 0;
    let failed = 0;
    for (const execution of machine.all.slice(since?.executions.get(name) ?? 0)) {
      if (execution.status === "RUNNING") {
        running++;
        const state = execution.currentState ?? "(starting)";
        byState[state] = (byState[state] ?? 0) + 1;
      } else if (execution.status === "SUCCEEDED") succeeded++;
      else failed++;
    }
    return { name: machine.context.name, running, succeeded, failed, byState };
  });
  const published = runtime.published.slice(since?.published ?? 0);
  // A retried publish of a milestone carries the same event id: count ids, not publishes.
  const ids = new Map(published.map((event) => [event.eventId, event.type]));
  const milestones: Record<string, number> = {};
  for (const type of ids.values()) milestones[type] = (milestones[type] ?? 0) + 1;
  const groups = await Promise.all(
    [...runtime.groups.values()].map(async (group) => {
      const subscribed = runtime.subscriptions.get(group.name);
      const expected = [...ids].filter(([, type]) => subscribed?.has(type)).map(([id]) => id);
      const delivered = expected.filter((id) => group.delivered.has(id)).length;
      const [lag, deadLettered] = await Promise.all([runtime.lag(group.name).catch(() => -1), runtime.deadLettered(group.name).catch(() => -1)]);
      const deadLetteredSince = deadLettered < 0 ? -1 : deadLettered - (since?.deadLettered.get(group.name) ?? 0);
      return { name: group.name, expected: expected.length, delivered, failed: group.failed, filtered: group.filtered, deadLettered: deadLetteredSince, lag, running: group.running };
    }),
  );
  return { elapsedMs: Date.now() - startedAt, started, planned, contexts, milestones, groups };
}
