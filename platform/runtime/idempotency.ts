import { FunctionEnvironment } from "../model/function-environment";
import { IDEMPOTENCY_TABLE_SCHEMA } from "../model/idempotency-table";
import { hash } from "node:crypto";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyPersistenceLayerError,
  IdempotencyRecordStatus,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { BasePersistenceLayer, IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import { InMemoryPersistenceLayer } from "./in-memory-idempotency-store";
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import { dedupeWindowSeconds, RETENTION_DEFAULTS } from "../model";
import { RuntimeConfigError, RuntimeError } from "./errors";

/** Where the infra (and the tests) read the table's layout too. */
export { IDEMPOTENCY_TABLE_SCHEMA };
export { InMemoryPersistenceLayer };

/**
 * Prefix of every idempotency record id. Constant on purpose: Powertools stores the prefix on
 * the store instance and recomputes the key after the handler ran, so a per-group prefix on a
 * store shared by several groups (the local runtime) could save one group's result under
 * another's key. The group is part of the hashed payload instead.
 */
export const IDEMPOTENCY_KEY_PREFIX = "ensemble";

/**
 * How long a handled event id is remembered when neither `ttlSeconds` nor the environment says:
 * the window of a group reading topics with the default retentions (see `dedupeWindowSeconds`).
 */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = dedupeWindowSeconds([RETENTION_DEFAULTS.eventsHours, RETENTION_DEFAULTS.deadLettersHours]);

/** The group's deduplication window from `ENSEMBLE_IDEMPOTENCY_TTL_SECONDS`, else the default's. */
export function idempotencyTtlFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[FunctionEnvironment.IdempotencyTtlSeconds]?.trim();
  if (!raw) return DEFAULT_IDEMPOTENCY_TTL_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new RuntimeConfigError(`${FunctionEnvironment.IdempotencyTtlSeconds}="${raw}" is not a positive whole number of seconds; the infra sets it from the retention of the topics the group reads.`);
  }
  return seconds;
}

/**
 * How long an attempt without a Lambda context holds its event id: Lambda's longest timeout,
 * so a crashed attempt never blocks its retries for longer than a real invocation could run.
 */
export const DEFAULT_IN_PROGRESS_TIMEOUT_MS = 15 * 60 * 1000;

/** What `once` needs of a Lambda context: the time left, which bounds an attempt's claim. */
export type RemainingTime = Pick<Context, "getRemainingTimeInMillis">;

/** Which delivery an {@link EventInProgressError} is about. */
export interface InProgressEvent {
  readonly group: string;
  readonly eventId: string;
  /** `<context>.<Event>`, when the caller knows it. */
  readonly eventType?: string | undefined;
  /** The topic the delivery came from, when the caller knows it. */
  readonly topic?: string | undefined;
}

/** Another delivery of the same event to the same group is being handled right now; retry later. */
export class EventInProgressError extends RuntimeError {
  readonly group: string;
  readonly eventId: string;
  readonly eventType: string | undefined;
  readonly topic: string | undefined;

  constructor(event: InProgressEvent, options?: ErrorOptions) {
    const type = event.eventType === undefined ? "" : ` (${event.eventType})`;
    const from = event.topic === undefined ? "" : ` from topic ${event.topic}`;
    super(
      `Event "${event.eventId}"${type}${from} is already being handled by consumer group "${event.group}" (a concurrent duplicate delivery); retry it later.`,
      options,
    );
    this.name = "EventInProgressError";
    this.group = event.group;
    this.eventId = event.eventId;
    this.eventType = event.eventType;
    this.topic = event.topic;
  }
}

/**
 * The id of the record that remembers `eventId` for `group`: `ensemble#<md5 of the payload,
 * base64>`, the payload being `{ event, group }` (the group and the event id, nothing else),
 * computed as Powertools' `makeIdempotent` computes it (keys sorted, JSON, md5, base64), so
 * records written before `once` ran the protocol itself are still found.
 */
export function idempotencyRecordId(group: string, eventId: string): string {
  // JSON.stringify({ event, group }) written out (keys in sorted order): no object per record.
  const payload = `{"event":${JSON.stringify(eventId)},"group":${JSON.stringify(group)}}`;
  return `${IDEMPOTENCY_KEY_PREFIX}#${hash("md5", payload, "base64")}`;
}

/**
 * A persistence layer's record operations. Powertools declares them protected: its own handler
 * reaches them through `saveInProgress`/`saveSuccess`, which hash the payload again on every
 * call. `once` and the readers here call them with the record id computed once instead; every
 * layer (DynamoDB, the in-process one) implements them with its own conditions.
 */
interface RecordOperations {
  _putRecord(record: IdempotencyRecord): Promise<void>;
  _getRecord(idempotencyKey: string): Promise<IdempotencyRecord>;
  _updateRecord(record: IdempotencyRecord): Promise<void>;
  _deleteRecord(record: IdempotencyRecord): Promise<void>;
}

const recordOperations = (store: BasePersistenceLayer) => store as unknown as RecordOperations;

/**
 * Whether `group` has handled `eventId`: the store holds a COMPLETED record for it that has not
 * expired, so the consumer wrapper would skip a delivery of it. For tools that must tell a
 * redelivery from a first delivery (the redrive); the wrapper itself never needs it.
 */
export async function hasHandled(store: BasePersistenceLayer, group: string, eventId: string): Promise<boolean> {
  // Every layer reads one record by its id with `_getRecord` (protected in Powertools' types; the
  // DynamoDB layer reads consistently). The id is the one `once` makes Powertools compute.
  try {
    const record = await recordOperations(store)._getRecord(idempotencyRecordId(group, eventId));
    return record.getStatus() === IdempotencyRecordStatus.COMPLETED;
  } catch (error) {
    if (error instanceof IdempotencyItemNotFoundError) return false;
    throw error;
  }
}

/** How `once` scopes and keeps its records. */
export interface OnceOptions {
  /** The consumer group: the same event id handled by two groups has its effect in each. */
  group: string;
  /**
   * How long a handled event id is remembered; a duplicate after that runs again.
   * @default DEFAULT_IDEMPOTENCY_TTL_SECONDS
   */
  ttlSeconds?: number;
  /**
   * Where records live. A store takes the TTL of the first `once` that uses it (Powertools
   * configures a store once), so wrappers sharing a store must agree on `ttlSeconds`.
   * @default idempotencyStoreFromEnv()
   */
  store?: BasePersistenceLayer;
}

// Powertools silently keeps a store's first configuration; refuse a conflicting one instead.
const storeTtls = new WeakMap<BasePersistenceLayer, number>();

/**
 * Makes `fn` idempotent, with Powertools' idempotency protocol on its persistence layers, so that
 * inputs with the same `key` (an event id) have their effect once per `group` within the TTL:
 * the first call claims the event id (an `INPROGRESS` record), runs `fn` and stores its result
 * (`COMPLETED`); a later call returns the stored result without running `fn`. If `fn` throws,
 * the record is deleted and a retry runs `fn` again. Results are stored, so they must be plain
 * JSON-like values (DynamoDB rejects `undefined` inside objects).
 *
 * A duplicate that arrives while the first attempt is still running rejects with
 * {@link EventInProgressError} (cause: Powertools' `IdempotencyAlreadyInProgressError`). It is
 * a retryable failure: the consumer wrapper reports the record as failed and it comes back
 * later, when the first attempt finished (its stored result is returned) or failed (it runs).
 * An attempt holds its event id until the Lambda's remaining time, passed as `context`, runs
 * out (or {@link DEFAULT_IN_PROGRESS_TIMEOUT_MS} without one), so a timed-out attempt does not
 * block its retries for the whole TTL.
 *
 * The protocol is `makeIdempotent`'s (its `IdempotencyHandler`), run here rather than through it:
 * per call it built a handler, sorted and hashed the payload twice and chained a dozen promises,
 * which was most of what the consumer wrapper spent on a record (npm run bench, wrapper section).
 * The record id is the one it computed ({@link idempotencyRecordId}), its errors are Powertools'
 * own, and `POWERTOOLS_IDEMPOTENCY_DISABLED` still turns it off.
 *
 * @example
 * const handleOnce = once(async (event: ReceivedEnvelope) => notify(event), {
 *   group: "notify-customer",
 *   key: (event) => event.id,
 * });
 * await handleOnce(event, lambdaContext);
 */
export function once<T, R>(
  fn: (input: T) => Promise<R>,
  options: OnceOptions & {
    key: (input: T) => string;
    /** What to name, besides the id, when a duplicate is in progress. */
    describe?: (input: T) => { eventType?: string; topic?: string };
  },
): (input: T, context?: RemainingTime) => Promise<R> {
  const { group, key, describe, ttlSeconds = DEFAULT_IDEMPOTENCY_TTL_SECONDS, store = idempotencyStoreFromEnv() } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RuntimeConfigError(`Consumer group "${group}": the idempotency TTL must be a positive whole number of seconds, got ${ttlSeconds}.`);
  }
  const storeTtl = storeTtls.get(store);
  if (storeTtl !== undefined && storeTtl !== ttlSeconds) {
    throw new RuntimeConfigError(
      `Consumer group "${group}" asks for an idempotency TTL of ${ttlSeconds} s on a store already used with ${storeTtl} s; a store has one TTL, so give this group its own store.`,
    );
  }
  storeTtls.set(store, ttlSeconds);
  const config = new IdempotencyConfig({ expiresAfterSeconds: ttlSeconds });
  if (!config.isEnabled()) return (input) => fn(input);
  // Configured as makeIdempotent configured it, for whoever reads the store's settings.
  store.configure({ config, keyPrefix: IDEMPOTENCY_KEY_PREFIX });
  const attempt = idempotentAttempt(fn, recordOperations(store), ttlSeconds);

  return async (input, context) => {
    const eventId = key(input);
    const recordId = idempotencyRecordId(group, eventId);
    try {
      return await attempt(recordId, input, remainingTime(context));
    } catch (error) {
      if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
      // Another attempt holds the claim: a concurrent duplicate that is about to finish, or a
      // crashed invocation whose claim lasts until its own Lambda deadline, which comes before
      // this invocation's (it started earlier, with the same timeout). Waiting for the claim here
      // beats failing the record: the mapping would retry at once, and could spend every retry
      // (then dead-letter the event) before the claim is gone.
      const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - CLAIM_WAIT_RESERVE_MS : undefined;
      if (deadline !== undefined && (await claimReleased(store, recordId, deadline))) {
        try {
          return await attempt(recordId, input, remainingTime(context));
        } catch (again) {
          if (!(again instanceof IdempotencyAlreadyInProgressError)) throw again;
        }
      }
      throw new EventInProgressError({ group, eventId, ...describe?.(input) }, { cause: error });
    }
  };
}

function remainingTime(context: RemainingTime | undefined): number {
  return context?.getRemainingTimeInMillis() ?? DEFAULT_IN_PROGRESS_TIMEOUT_MS;
}

/** Powertools' `MAX_RETRIES`: how often a record that changed under an attempt is claimed again. */
const INCONSISTENT_STATE_RETRIES = 2;

/**
 * One idempotent call, as Powertools' `IdempotencyHandler.handle` makes it: claim the record id
 * (a conditional put of an `INPROGRESS` record; an existing one answers instead), run `fn`,
 * then store its result, or delete the claim if it threw. Store failures are wrapped in
 * `IdempotencyPersistenceLayerError` with the messages Powertools uses.
 */
function idempotentAttempt<T, R>(fn: (input: T) => Promise<R>, records: RecordOperations, ttlSeconds: number) {
  const expiry = (now: number) => Math.round(now / 1000 + ttlSeconds);

  // One async function, the claim, the call and the result inline: each await of a layer more
  // was a promise more per record.
  return async (recordId: string, input: T, remainingMs: number): Promise<R> => {
    for (let retry = 0; ; retry++) {
      const now = Date.now();
      const claim = new IdempotencyRecord({ idempotencyKey: recordId, status: IdempotencyRecordStatus.INPROGRESS, expiryTimestamp: expiry(now), payloadHash: "" });
      // The claim lasts until the invocation's deadline. Unlike Powertools, no time left (0 or
      // less) does not make it last the whole TTL: a killed attempt would block its retries for days.
      claim.inProgressExpiryTimestamp = now + Math.max(remainingMs, 1);
      let existing: IdempotencyRecord | undefined;
      try {
        await records._putRecord(claim);
      } catch (error) {
        if (!(error instanceof Error) || error.name !== "IdempotencyItemAlreadyExistsError") {
          throw new IdempotencyPersistenceLayerError("Failed to save in progress record to idempotency store", { cause: error });
        }
        existing = (error as IdempotencyItemAlreadyExistsError).existingRecord ?? (await records._getRecord(recordId));
      }
      if (existing === undefined) break;
      const status = existing.getStatus();
      if (status === IdempotencyRecordStatus.COMPLETED) return existing.getResponse() as R;
      const claimExpired = existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < Date.now();
      if (status === IdempotencyRecordStatus.INPROGRESS && !claimExpired) {
        throw new IdempotencyAlreadyInProgressError(`There is already an execution in progress with idempotency key: ${recordId}`);
      }
      // Expired since the put was refused: claiming again succeeds, as Powertools retries it.
      if (retry >= INCONSISTENT_STATE_RETRIES) throw new IdempotencyInconsistentStateError("Item has expired during processing and may not longer be valid.");
    }

    let result: R;
    try {
      result = await fn(input);
    } catch (error) {
      try {
        await records._deleteRecord(new IdempotencyRecord({ idempotencyKey: recordId, status: IdempotencyRecordStatus.EXPIRED }));
      } catch (deleteError) {
        throw new IdempotencyPersistenceLayerError("Failed to delete record from idempotency store", { cause: deleteError });
      }
      throw error;
    }
    try {
      const completed = { idempotencyKey: recordId, status: IdempotencyRecordStatus.COMPLETED, expiryTimestamp: expiry(Date.now()), payloadHash: "" };
      await records._updateRecord(new IdempotencyRecord({ ...completed, responseData: result as IdempotencyRecord["responseData"] }));
    } catch (error) {
      throw new IdempotencyPersistenceLayerError("Failed to update success record to idempotency store", { cause: error });
    }
    return result;
  };
}

/** Time an invocation keeps for the handler after waiting on another attempt's claim. */
export const CLAIM_WAIT_RESERVE_MS = 1_000;
const CLAIM_POLL_MS = 200;

/**
 * Waits until the record `recordId` no longer blocks a new attempt — gone (the other attempt
 * failed), COMPLETED (it succeeded: the new attempt returns its result) or a claim past its
 * expiry — or until `deadline`. Resolves whether it was released.
 */
async function claimReleased(store: BasePersistenceLayer, recordId: string, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      const record = await recordOperations(store)._getRecord(recordId);
      const expiry = record.inProgressExpiryTimestamp;
      if (record.getStatus() !== IdempotencyRecordStatus.INPROGRESS || (expiry !== undefined && expiry < Date.now())) return true;
    } catch (error) {
      if (error instanceof IdempotencyItemNotFoundError) return true;
      throw error;
    }
    if (Date.now() + CLAIM_POLL_MS > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
  }
}

let inMemoryStore: InMemoryPersistenceLayer | undefined;

/**
 * The idempotency store the environment asks for. `ENSEMBLE_IDEMPOTENCY_TABLE` set (by the
 * infra, on AWS): Powertools' DynamoDB layer on that table, laid out as
 * {@link IDEMPOTENCY_TABLE_SCHEMA}; `ENSEMBLE_DYNAMODB_ENDPOINT` or `AWS_ENDPOINT_URL_DYNAMODB`
 * points it at a local DynamoDB-compatible server. Unset: one in-process store for the whole
 * process, so every wrapper of a local run sees the same records.
 */
export function idempotencyStoreFromEnv(env: NodeJS.ProcessEnv = process.env): BasePersistenceLayer {
  const tableName = env[FunctionEnvironment.IdempotencyTable]?.trim();
  if (!tableName) return (inMemoryStore ??= new InMemoryPersistenceLayer());
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name,
    expiryAttr: IDEMPOTENCY_TABLE_SCHEMA.ttlAttribute,
    clientConfig: dynamoDbClientConfig(env),
  });
}

/** The DynamoDB client settings the environment asks for: a local endpoint (tests, dynalite) or AWS. */
export function dynamoDbClientConfig(env: NodeJS.ProcessEnv): DynamoDBClientConfig {
  const endpoint = env.ENSEMBLE_DYNAMODB_ENDPOINT?.trim() || env.AWS_ENDPOINT_URL_DYNAMODB?.trim();
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!endpoint) return region ? { region } : {};
  // A local server checks no signature, but the SDK still wants a region and credentials.
  return {
    endpoint,
    region: region ?? "us-east-1",
    ...(env.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
  };
}
