import { changeText } from "./changes";
import { EventStatus, type EventVerdict, type GateResult } from "./gate";

/** How the CLI is called, for the fixes the messages name. */
const VALIDATE = "npm run validate";

/**
 * Why a change without readers still matters: a group starts from the oldest record
 * (TRIM_HORIZON) by default, and the retention is the stack's (`ensemble:kafka.retentionHours`).
 */
const LATER_GROUP = "a group subscribed later, starting from the oldest record, would dead-letter the old records still in the topic, kept for the topic's retention";

/**
 * Why the gate blocks one event, who reads it, and the two ways forward: publish a new version
 * side by side, or accept the change with a recorded reason.
 */
export function blockingMessage(verdict: EventVerdict): string[] {
  const removed = verdict.status === EventStatus.Removed;
  const where = verdict.declaredIn ?? `context "${verdict.context}"`;
  const v = `v${verdict.version}`;
  const others = verdict.otherVersions.map((version) => `v${version}`);
  const taken = others.length > 0 ? ` (${others.join(", ")} ${others.length > 1 ? "are" : "is"} already declared)` : "";
  const sideBySide = removed
    ? `declare ${verdict.name} ${v} again, as released, next to ${others.length > 0 ? others.join(", ") : "its replacement"} in ${where}`
    : `declare ${verdict.name} with version: ${Math.max(verdict.version, ...verdict.otherVersions) + 1}${taken} and the new schema next to ${v} (as released) in ${where}`;
  return [
    removed
      ? `Schema gate: ${verdict.type} (${v}) is no longer declared, but groups read it: its records still in the topic would reach no one:`
      : `Schema gate: ${verdict.type} (${v}) changed in ways that can break its readers:`,
    ...verdict.changes.filter((change) => change.breaking).map((change) => `  - ${removed ? change.message : changeText(change)}`),
    `  Read by: ${verdict.readers.join(", ")}`,
    `  Two ways forward:`,
    `    1. Publish it side by side: ${sideBySide}, publish both from the workflow, move each reader to the version it reads, and remove ${v} once none reads it and its records have aged out of the topic.`,
    `    2. Accept the change with a recorded reason: ${VALIDATE} -- --accept ${verdict.type} --reason "<why no reader breaks>"`,
  ];
}

/** What changed against the baseline without blocking, one line per event, for the summary. */
export function changeLines(result: GateResult): string[] {
  const lines: string[] = [];
  for (const verdict of result.verdicts) {
    if (verdict.status === EventStatus.Unchanged || (verdict.breaking && !verdict.accepted)) continue;
    const name = `${verdict.type} (v${verdict.version})`;
    if (verdict.status === EventStatus.Added) {
      lines.push(`  - ${name}: new event`);
      continue;
    }
    if (verdict.status === EventStatus.Removed) {
      lines.push(`  - ${name}: no longer declared; ${verdict.accepted ? "removal accepted (the lock keeps it as removed, with the reason)" : "no group read it, so it may go freely"}`);
      continue;
    }
    const freely = !verdict.breaking && verdict.changes.some((c) => c.breaking);
    for (const change of verdict.changes) {
      const note = change.breaking ? (verdict.accepted ? " (breaking, accepted)" : freely ? ` (breaking, but no group reads it now, so it may change; ${LATER_GROUP})` : "") : "";
      lines.push(`  - ${name}: ${changeText(change)}${note}`);
    }
    if (verdict.readersChanged) lines.push(`  - ${name}: read by ${verdict.readers.length > 0 ? verdict.readers.join(", ") : "no group"}`);
  }
  return lines;
}

/** The gate's part of a passing run's summary. */
export function gateSummary(result: GateResult, lockName: string, wrote: boolean, hadBaseline: boolean): string[] {
  const changed = changeLines(result);
  if (!hadBaseline) return [`Schema gate: no ${lockName} yet; wrote the baseline of ${result.verdicts.length} events. Commit it.`];
  if (changed.length === 0) return [`Schema gate: ${result.verdicts.length} events match ${lockName}.`];
  return [`Schema gate: no change can break a reader; ${wrote ? `${lockName} updated (commit it)` : `${lockName} would be updated`}:`, ...changed];
}

/** Why `--check` fails: the committed baseline is not the one this topology makes. */
export function staleLockMessage(result: GateResult, lockName: string): string[] {
  const changed = changeLines(result);
  return [
    `Schema gate: ${lockName} is out of date${changed.length > 0 ? ":" : " (its layout differs from what the gate writes)."}`,
    ...changed,
    `Fix: run ${VALIDATE} (it updates ${lockName}) and commit ${lockName}.`,
  ];
}

