/** Base class of every error the local runtime (state machines, event source mappings, topics) throws. */
export class LocalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalError";
  }
}

// Event source mappings

/** An event source mapping's options are outside the ranges Lambda accepts. */
export class MappingSettingsError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MappingSettingsError";
  }
}

/** `start()` on a mapping that is running already. */
export class MappingAlreadyStartedError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MappingAlreadyStartedError";
  }
}

/** A filter pattern the local mapping cannot apply: not JSON, or beyond the subset it implements. */
export class InvalidFilterPatternError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidFilterPatternError";
  }
}

/** A function's `batchItemFailures` Lambda cannot read: the whole batch counts as failed. */
export class InvalidBatchResponseError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidBatchResponseError";
  }
}

/** A function threw (or rejected with) a value that is not an Error; the value is the `cause`. */
export class ThrownValueError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ThrownValueError";
  }
}

/** A function called a callback-style Lambda context method, which the emulator leaves out. */
export class UnsupportedContextMethodError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnsupportedContextMethodError";
  }
}

// Handlers, groups and state machines

/** A consumer group's or task's handler module cannot be found, or exports no `handler` function. */
export class HandlerNotFoundError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandlerNotFoundError";
  }
}

/** No consumer group of the name asked for. */
export class ConsumerGroupNotFoundError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConsumerGroupNotFoundError";
  }
}

/** No workflow to run for the context asked for. */
export class WorkflowNotFoundError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WorkflowNotFoundError";
  }
}

/** An execution name is used twice on the same state machine; named as Step Functions names it. */
export class ExecutionAlreadyExistsError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutionAlreadyExists";
  }
}

/** RedriveExecution's refusal: the execution is not FAILED or ABORTED, or never entered a state. */
export class ExecutionNotRedrivableError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutionNotRedrivable";
  }
}

/**
 * A task or publisher invocation outlived its function's timeout. Named `Lambda.Unknown`, as Step
 * Functions reports a timed-out function, so a workflow's Retry and Catch treat it the same.
 */
export class FunctionTimedOutError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "Lambda.Unknown";
  }
}

// Topics

/** Topics were created but some partition has no leader serving it in time. */
export class TopicsNotReadyError extends LocalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TopicsNotReadyError";
  }
}

/**
 * An execution a group started published an event the group says its executions do not reach
 * (`reaches`): the start-loop check trusted that, so the local runtime holds the workflow to it.
 */
export class EventNotReachedError extends LocalError {
  constructor(message: string) {
    super(message);
    this.name = "Ensemble.EventNotReached";
  }
}
