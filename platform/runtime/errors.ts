/**
 * Base class of every error the runtime throws. `name` is what Lambda reports as `errorType`,
 * so a state machine can `Catch` a named error (e.g. `Milestone.InvalidEvent`).
 */
export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/** The runtime's environment is missing or contradicts a setting the infra should have set. */
export class RuntimeConfigError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeConfigError";
  }
}

/** Error names a workflow can `Catch` or `Retry` on, as Lambda reports them. */
export const MilestoneErrors = {
  InvalidInput: "Milestone.InvalidInput",
  UnknownEvent: "Milestone.UnknownEvent",
  InvalidEvent: "Milestone.InvalidEvent",
  PublishFailed: "Milestone.PublishFailed",
  EventTooLarge: "Milestone.EventTooLarge",
} as const;

/** The task's input is not `{ type, key, data, executionId, state, mapIndex? }`: a workflow bug. */
export class MilestoneInputError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = MilestoneErrors.InvalidInput;
  }
}

/** The milestone names an event type its context does not declare. */
export class UnknownEventError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = MilestoneErrors.UnknownEvent;
  }
}

/** The event's data fails its schema; never retried, a workflow may `Catch` it. */
export class InvalidEventError extends RuntimeError {
  readonly problems: readonly string[];

  constructor(eventType: string, problems: readonly string[], options?: ErrorOptions) {
    super(`${eventType} data does not match its schema: ${problems.join("; ")}`, options);
    this.name = MilestoneErrors.InvalidEvent;
    this.problems = problems;
  }
}

/** The broker did not take the event (unreachable, timed out): retryable with the same id. */
export class PublishFailedError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = MilestoneErrors.PublishFailed;
  }
}

/** A publish attempt got no answer from the broker in its time budget; the cause of a {@link PublishFailedError}. */
export class PublishTimeoutError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PublishTimeoutError";
  }
}

/**
 * The event's record would exceed its topic's `max.message.bytes`: the broker would refuse it on
 * every retry. Never retried; a workflow may `Catch` it (e.g. to store the payload elsewhere and
 * publish a reference).
 */
export class EventTooLargeError extends RuntimeError {
  readonly bytes: number;
  readonly limit: number;

  constructor(eventType: string, topic: string, bytes: number, limit: number, options?: ErrorOptions) {
    super(
      `${eventType} is ${bytes} bytes as a record, over the ${limit}-byte limit of topic ${topic} (max.message.bytes); ` +
        `publish a smaller event, e.g. a reference to the payload stored elsewhere.`,
      options,
    );
    this.name = MilestoneErrors.EventTooLarge;
    this.bytes = bytes;
    this.limit = limit;
  }
}
