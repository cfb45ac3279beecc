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
