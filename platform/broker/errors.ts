/** Base class of every error thrown while getting, starting or stopping a Kafka broker. */
export class BrokerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerError";
  }
}

/** No broker could be had; the message says how to get one. */
export class BrokerUnavailableError extends BrokerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerUnavailableError";
  }
}

/**
 * A host broker or cluster could not be started, stopped or laid out as asked: `scripts/kafka-host.sh`
 * failed (the message ends with the script's own error, which says how to fix it), or the request
 * contradicts the cluster on disk.
 */
export class HostKafkaError extends BrokerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HostKafkaError";
  }
}

/** `scripts/kafka.env`, the one place Kafka versions and image names are set, lacks a setting. */
export class KafkaVersionsError extends BrokerError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KafkaVersionsError";
  }
}
