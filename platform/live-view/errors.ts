/** Base class of every error the live view (its HTTP server, its readers) throws. */
export class LiveViewError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LiveViewError";
  }
}

/** The port asked for explicitly is taken by another process. */
export class PortInUseError extends LiveViewError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PortInUseError";
  }
}
