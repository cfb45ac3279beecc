import type { ConsumerConfig, KafkaMessage } from "kafkajs";
import { FUNCTION_DEFAULTS } from "../../model";
import type { EventSourceMappingOptions, Settings } from "./settings";

/**
 * Lambda's payload limit for a synchronous invocation: a batch holds no more, whatever its size
 * setting ("up to 6 MB", invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching).
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** A record's JSON fields besides key, value and headers in the MSK event. */
const RECORD_FIELDS_BYTES = 200;
/** A guess at a record's size, to turn a batch size into the bytes the broker waits for. */
const TYPICAL_RECORD_BYTES = 1024;
/** With no window the broker answers as soon as a byte is there; this only bounds an idle poll. */
const IDLE_POLL_MS = 500;

/**
 * The batching window, left to the broker: it answers a fetch once `minBytes` are there or
 * `maxWaitTimeInMs` has passed, as Lambda invokes on a full batch, an expired window or 6 MB.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
 * kafkajs heartbeats between fetches only, so the session must outlast the window.
 */
export function consumerConfig(
  groupId: string,
  settings: Settings,
  options: Pick<EventSourceMappingOptions, "functionTimeoutSeconds" | "sessionTimeoutMs">,
): ConsumerConfig {
  const windowMs = settings.windowSeconds * 1000;
  const invocationMs = (options.functionTimeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds) * 1000;
  // Kafka's group.min.session.timeout.ms is 6 s.
  const sessionTimeout = options.sessionTimeoutMs ?? Math.max(6_000, windowMs + invocationMs + 5_000);
  return {
    groupId,
    maxWaitTimeInMs: windowMs > 0 ? windowMs : IDLE_POLL_MS,
    minBytes: windowMs > 0 ? Math.min(settings.batchSize * TYPICAL_RECORD_BYTES, MAX_PAYLOAD_BYTES) : 1,
    sessionTimeout,
    rebalanceTimeout: Math.max(60_000, sessionTimeout),
  };
}

/** What a record adds to an invocation's payload: base64 key and value, and the record's fields. */
export function payloadBytes(message: KafkaMessage): number {
  return Math.ceil((((message.key?.length ?? 0) + (message.value?.length ?? 0)) * 4) / 3) + RECORD_FIELDS_BYTES;
}
