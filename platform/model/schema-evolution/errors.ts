import { ModelError } from "../errors";

/** The schema gate was asked for something it cannot do (an acceptance without a reason, say). */
export class SchemaGateError extends ModelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SchemaGateError";
  }
}

/** The committed baseline cannot be read: not JSON, or not the shape `schemas.lock.json` has. */
export class SchemaLockError extends ModelError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SchemaLockError";
  }
}
