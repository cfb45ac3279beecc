/** Base class of every error the redrive throws. */
export class RedriveError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedriveError";
  }
}

/** The group's function failed on a redriven event with an unhandled error, as its event source mapping would see it. */
export class GroupFunctionError extends RedriveError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GroupFunctionError";
  }
}
