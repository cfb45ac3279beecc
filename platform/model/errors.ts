/** Base class of every error the topology model throws. */
export class ModelError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelError";
  }
}

/** One thing wrong with a topology: where it is, what it is, and how to fix it. */
export interface TopologyIssue {
  /** The file that declares the offending context or consumer, relative to the project root. */
  readonly file: string | undefined;
  /** What the issue is about, e.g. `consumer "notify-customer"`. */
  readonly subject: string;
  readonly problem: string;
  readonly fix: string;
}

export function formatIssue(issue: TopologyIssue): string {
  const where = issue.file ? `${issue.file}: ` : "";
  return `${where}${issue.subject}: ${issue.problem} Fix: ${issue.fix}`;
}

/** Thrown by `validate()`; lists every issue at once so one run shows all there is to fix. */
export class TopologyError extends ModelError {
  readonly issues: readonly TopologyIssue[];

  constructor(issues: readonly TopologyIssue[], options?: ErrorOptions) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`Invalid topology (${count}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`, options);
    this.name = "TopologyError";
    this.issues = issues;
  }
}

/**
 * A task's module cannot be loaded, exports no handler, or is not the module deployed for the
 * task (its reference and `tasks/<task in kebab-case>.ts` disagree).
 */
export class TaskModuleError extends ModelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TaskModuleError";
  }
}
