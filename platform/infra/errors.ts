/** Base class of every error the Pulumi program and its components throw. */
export class InfraError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InfraError";
  }
}

/**
 * A component was given args that contradict each other, miss one they need, or ask for what
 * AWS or Kafka cannot do (a network, a Kafka cluster or topic, an IAM policy, a context).
 */
export class InvalidComponentArgsError extends InfraError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidComponentArgsError";
  }
}

/** A CIDR that is not one, or a subnet it cannot hold. */
export class InvalidCidrError extends InfraError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidCidrError";
  }
}

/** A Lambda's code could not be bundled; the message lists esbuild's errors with file:line. */
export class BundleError extends InfraError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BundleError";
  }
}

/** A function's bundle entry cannot be written: the file declaring its handler is unknown. */
export class FunctionEntryError extends InfraError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FunctionEntryError";
  }
}

/** The state machine generated from a context's workflow is not valid Amazon States Language. */
export class StateMachineDefinitionError extends InfraError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StateMachineDefinitionError";
  }
}
