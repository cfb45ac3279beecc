import { type RedriveItem, RedriveOutcome, type RedriveReport } from "./redrive";

const OUTCOME_WORDS: Record<RedriveOutcome, string> = {
  [RedriveOutcome.Moved]: "moved",
  [RedriveOutcome.WouldMove]: "would move",
  [RedriveOutcome.Duplicate]: "already handled",
  [RedriveOutcome.Failing]: "still failing",
};

/** The report a redrive prints: a line per record, the totals, what still fails and why, and where the next redrive starts. */
export function renderRedriveReport(report: RedriveReport): string[] {
  const header =
    `Redrive of ${report.group}: ${report.topic} (read as consumer group ${report.groupId}) to ${report.target}` +
    (report.dryRun ? " — dry run: nothing invoked, nothing committed" : "");
  if (report.missingTopic) return [header, `${report.topic} does not exist on this broker: nothing was ever dead-lettered by ${report.group}.`];
  if (report.items.length === 0) return [header, `Nothing to redrive: every record of ${report.topic} was redriven already${report.remaining > 0 ? ` (${report.remaining} left unread)` : ""}.`];

  const rows = report.items.map((item) => [
    `${item.dlq.partition}@${item.dlq.offset}`,
    OUTCOME_WORDS[item.outcome],
    item.eventId ?? "-",
    item.type ?? "-",
    item.reason,
    item.source ? `${item.source.topic} ${item.source.partition}@${item.source.offset}` : "-",
  ]);
  const table = [["dlq", "outcome", "event id", "type", "reason", "source"], ...rows];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = [header, ...table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd())];

  lines.push(
    "",
    `${report.dryRun ? "would move" : "moved"} ${report.moved}, already handled (duplicates) ${report.duplicates}, still failing ${report.failing}` +
      (report.remaining > 0 ? `; ${report.remaining} record(s) left for a later run (--limit)` : ""),
  );
  const failing = report.items.filter((item) => item.outcome === RedriveOutcome.Failing);
  if (failing.length > 0) {
    lines.push("Still failing:");
    for (const item of failing) lines.push(`  ${where(item)}: ${item.failure}`);
  }
  if (report.heldAt.length > 0) {
    lines.push(
      `Not committed past a record that still fails (${report.heldAt.map((h) => `partition ${h.partition} offset ${h.offset}`).join(", ")}): ` +
        "the next redrive starts there again; what follows it is re-read and skipped as already handled.",
    );
  }
  return lines;
}

function where(item: RedriveItem): string {
  const source = item.source ? ` (${item.source.topic} ${item.source.partition}@${item.source.offset})` : "";
  return `${item.dlq.partition}@${item.dlq.offset}${source} ${item.eventId ?? "no event id"}${item.type ? ` ${item.type}` : ""}`;
}
