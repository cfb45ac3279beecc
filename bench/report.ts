import { round } from "./stats";

/** One printed table: a section may print several. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** A line under the table: what the baseline is, what differs. */
  readonly note?: string;
}

/**
 * A row setting a figure beside its baseline. The ratio is figure / baseline, so for rates above
 * 1 is better and for latencies and sizes below 1 is.
 */
export function compare(measure: string, figure: number, baseline: number): (string | number)[] {
  const cell = (value: number) => (Number.isFinite(value) ? round(value) : "-");
  return [measure, cell(figure), cell(baseline), ratio(figure, baseline)];
}

export function ratio(figure: number, baseline: number): string {
  return baseline > 0 && Number.isFinite(baseline) && Number.isFinite(figure) ? `${(figure / baseline).toFixed(2)}x` : "-";
}

/** The standard columns of a figure-vs-baseline table. */
export function comparisonColumns(figure: string, baseline: string): string[] {
  return ["measure", figure, baseline, "ratio"];
}

/** Plain text, numbers right-aligned, so the output pastes into a README as it is. */
export function formatTable(table: Table): string {
  const cells = [table.columns.map(String), ...table.rows.map((row) => row.map(String))];
  const numeric = table.columns.map((_, column) => table.rows.every((row) => typeof row[column] === "number" || /^([-\d.]+x?)?$/.test(String(row[column]))));
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, column) => (numeric[column] && column > 0 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  return [
    table.title,
    line(cells[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
    ...(table.note ? [table.note] : []),
  ].join("\n");
}
