/** Base class of every error the scaffolder throws. */
export class ScaffoldError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScaffoldError";
  }
}

/** A file the plan changes was edited after it was planned; writing the plan would lose that edit. */
export class StalePlanError extends ScaffoldError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StalePlanError";
  }
}

/** A step after the files are written (regenerating the catalog) failed; what was written is taken back. */
export class ScaffoldFollowUpError extends ScaffoldError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScaffoldFollowUpError";
  }
}
