import type { DemoResult, Snapshot } from "./demo";

const pad = (value: string | number, width: number) => String(value).padStart(width);
const padEnd = (value: string | number, width: number) => String(value).padEnd(width);

/**
 * The live view: executions by state, milestones published, per-group progress and lag.
 * `executions` names what the demo starts, as the topology's demo declares it ("orders").
 */
export function renderSnapshot(snapshot: Snapshot, executions = "executions"): string[] {
  const seconds = (snapshot.elapsedMs / 1000).toFixed(1);
  const lines = [`Ensemble local runtime — ${seconds} s — started ${snapshot.started}/${snapshot.planned} ${executions}`, ""];
  // Columns as wide as the longest name, so a long one (a correlator, `<context>-correlator`) keeps the table aligned.
  const contextWidth = Math.max(10, ...snapshot.contexts.map((c) => c.name.length));
  const groupWidth = Math.max(16, ...snapshot.groups.map((g) => g.name.length));
  lines.push(`${padEnd("context", contextWidth)} ${pad("running", 8)} ${pad("succeeded", 10)} ${pad("failed", 7)}  running by state`);
  for (const c of snapshot.contexts) {
    const states = Object.entries(c.byState)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([state, n]) => `${state}:${n}`)
      .join(" ");
    lines.push(`${padEnd(c.name, contextWidth)} ${pad(c.running, 8)} ${pad(c.succeeded, 10)} ${pad(c.failed, 7)}  ${states}`);
  }
  lines.push("", "milestones published");
  for (const [type, n] of Object.entries(snapshot.milestones).sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${padEnd(type, 30)} ${pad(n, 6)}`);
  lines.push("", `${padEnd("consumer group", groupWidth)} ${pad("delivered", 16)} ${pad("failed", 7)} ${pad("filtered", 9)} ${pad("dead-lettered", 14)} ${pad("lag", 6)}`);
  for (const g of snapshot.groups) {
    const state = g.running ? "" : "  (stopped)";
    lines.push(`${padEnd(g.name, groupWidth)} ${pad(`${g.delivered}/${g.expected}`, 16)} ${pad(g.failed, 7)} ${pad(g.filtered, 9)} ${pad(g.deadLettered, 14)} ${pad(g.lag, 6)}${state}`);
  }
  return lines;
}

/** The final summary: one table per concern and the verdict. */
export function renderSummary(result: DemoResult): string[] {
  const seconds = result.wallMs / 1000;
  const lines = ["", "Summary", ...renderSnapshot(result.last).slice(2), ""];
  lines.push(
    `${result.published} events published, ${result.deliveries} deliveries in ${seconds.toFixed(1)} s ` +
      `(${(result.published / seconds).toFixed(0)} events/s published, ${(result.deliveries / seconds).toFixed(0)} deliveries/s)`,
  );
  const ends = Object.entries(result.endStates ?? {});
  if (ends.length > 0) lines.push(`end states by key: ${ends.map(([state, n]) => `${state} ${n}`).join(", ")}`);
  const violations = result.violations ?? [];
  lines.push(violations.length === 0 ? "invariants: every one holds for every key" : `invariants: ${violations.length} violation(s)`);
  for (const v of violations) {
    lines.push(`  ✗ ${v.invariant} for ${v.key} (${v.kind}): ${v.message}`);
    for (const e of v.events) lines.push(`      ${e.time}  ${e.type}  ${e.id}`);
  }
  lines.push(
    result.ok
      ? "OK: every execution ended as expected; every key's flow ended as expected with every invariant holding; every milestone reached every subscribed group; nothing was dead-lettered."
      : "NOT OK:",
  );
  for (const problem of result.problems) lines.push(`  - ${problem}`);
  return lines;
}

/** Redraws the view in place on a terminal; prints a line now and then otherwise (CI logs). */
export function liveView(out: NodeJS.WriteStream = process.stdout, executions = "executions"): (snapshot: Snapshot) => void {
  let drawn = 0;
  let lastPlain = 0;
  return (snapshot) => {
    const lines = renderSnapshot(snapshot, executions);
    if (out.isTTY) {
      out.write(`${drawn > 0 ? `\x1b[${drawn}F` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
      drawn = lines.length;
    } else if (snapshot.elapsedMs - lastPlain >= 2000) {
      lastPlain = snapshot.elapsedMs;
      const groups = snapshot.groups.map((g) => `${g.name} ${g.delivered}/${g.expected} lag ${g.lag}`).join(", ");
      out.write(`[${(snapshot.elapsedMs / 1000).toFixed(0)} s] started ${snapshot.started}/${snapshot.planned}; ${groups}\n`);
    }
  };
}
