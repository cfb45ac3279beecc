import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from "@aws-lambda-powertools/idempotency";
import { BasePersistenceLayer, IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";

/**
 * An idempotency record as the store keeps it: the fields the DynamoDB layer writes, the result
 * as JSON text (so nothing the caller holds is shared with the store, as after a round trip).
 */
interface StoredRecord {
  readonly idempotencyKey: string;
  readonly status: ReturnType<IdempotencyRecord["getStatus"]>;
  readonly expiryTimestamp?: number;
  readonly inProgressExpiryTimestamp?: number;
  readonly responseJson?: string;
  readonly payloadHash?: string;
}

/**
 * An in-process idempotency store with the DynamoDB layer's semantics, for local runs and
 * tests: a put fails with `IdempotencyItemAlreadyExistsError` unless there is no record, the
 * record expired (`expiration` < now, in seconds) or it is `INPROGRESS` with an in-progress
 * expiry that passed (in milliseconds); an update is an upsert; expired records are dropped.
 * Records are copied in and out, as a round trip through DynamoDB would.
 */
export class InMemoryPersistenceLayer extends BasePersistenceLayer {
  // Insertion order is expiry order: a store has one TTL (Powertools configures it once) and
  // every write re-inserts, so evicting from the front until a live record is exact and cheap.
  readonly #records = new Map<string, StoredRecord>();
  /** No record expires before this (seconds): the front record's expiry, so a put skips eviction until then. */
  #earliestExpiry = Number.NEGATIVE_INFINITY;

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const now = Date.now();
    this.#evictExpired(now);
    const existing = this.#records.get(record.idempotencyKey);
    if (existing && !isReplaceable(existing, now)) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        toRecord(existing),
      );
    }
    this.#write({
      idempotencyKey: record.idempotencyKey,
      status: record.getStatus(),
      expiryTimestamp: record.expiryTimestamp,
      inProgressExpiryTimestamp: record.inProgressExpiryTimestamp,
      payloadHash: this.isPayloadValidationEnabled() ? record.payloadHash : undefined,
    });
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const stored = this.#records.get(idempotencyKey);
    if (!stored) throw new IdempotencyItemNotFoundError();
    return toRecord(stored);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    // Like DynamoDB's UpdateItem: sets expiry, status and (when present) the result; keeps the rest.
    const existing = this.#records.get(record.idempotencyKey);
    this.#write({
      idempotencyKey: record.idempotencyKey,
      status: record.getStatus(),
      expiryTimestamp: record.expiryTimestamp,
      inProgressExpiryTimestamp: existing?.inProgressExpiryTimestamp,
      responseJson: record.responseData === undefined ? existing?.responseJson : JSON.stringify(record.responseData),
      payloadHash: this.isPayloadValidationEnabled() ? record.payloadHash : existing?.payloadHash,
    });
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#records.delete(record.idempotencyKey);
  }

  #write(record: StoredRecord): void {
    this.#records.delete(record.idempotencyKey);
    this.#records.set(record.idempotencyKey, record);
    if (this.#records.size === 1) this.#earliestExpiry = record.expiryTimestamp ?? Number.NEGATIVE_INFINITY;
  }

  #evictExpired(now: number): void {
    if (this.#earliestExpiry >= now / 1000) return;
    for (const [key, record] of this.#records) {
      if (record.expiryTimestamp === undefined || record.expiryTimestamp >= now / 1000) {
        this.#earliestExpiry = record.expiryTimestamp ?? Number.NEGATIVE_INFINITY;
        return;
      }
      this.#records.delete(key);
    }
    this.#earliestExpiry = Number.NEGATIVE_INFINITY;
  }
}

/** The DynamoDB layer's put condition, negated: may a new attempt take this record's place? */
function isReplaceable(existing: StoredRecord, now: number): boolean {
  if (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < now / 1000) return true;
  return (
    existing.status === "INPROGRESS" &&
    existing.inProgressExpiryTimestamp !== undefined &&
    existing.inProgressExpiryTimestamp < now
  );
}

function toRecord({ responseJson, ...fields }: StoredRecord): IdempotencyRecord {
  return new IdempotencyRecord({ ...fields, ...(responseJson === undefined ? {} : { responseData: JSON.parse(responseJson) as IdempotencyRecord["responseData"] }) });
}
