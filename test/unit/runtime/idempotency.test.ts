import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { RuntimeConfigError } from "../../../platform/runtime/errors";
import {
  CLAIM_WAIT_RESERVE_MS,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  EventInProgressError,
  idempotencyRecordId,
  idempotencyStoreFromEnv,
  InMemoryPersistenceLayer,
  once,
} from "../../../platform/runtime/idempotency";

interface Delivery {
  readonly id: string;
  readonly amount: number;
}

/** A handler that counts its runs and returns which run it was. */
function countingHandler() {
  const runs: Delivery[] = [];
  const fn = async (delivery: Delivery) => {
    runs.push(delivery);
    return { run: runs.length, amount: delivery.amount };
  };
  return { fn, runs };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const byId = { key: (delivery: Delivery) => delivery.id };

describe("once on the in-process store", () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date("2030-01-01T00:00:00Z") });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it("runs the handler once for the same event id and returns the stored result the second time", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn, runs } = countingHandler();
    const handle = once(fn, { group: "notify-customer", store, ...byId });

    // Act
    const first = await handle({ id: "evt-1", amount: 10 });
    const second = await handle({ id: "evt-1", amount: 10 });

    // Assess
    expect(runs).toHaveLength(1);
    expect(first).toEqual({ run: 1, amount: 10 });
    expect(second).toEqual(first);
    const record = await store.getRecord({ event: "evt-1", group: "notify-customer" });
    expect(record.idempotencyKey).toBe(idempotencyRecordId("notify-customer", "evt-1"));
    expect(record.getStatus()).toBe("COMPLETED");
    expect(record.expiryTimestamp).toBe(Date.now() / 1000 + DEFAULT_IDEMPOTENCY_TTL_SECONDS);
  });

  it("returns the result Powertools' makeIdempotent stored for the event id, without running again", async () => {
    // Prepare: a record written the way once wrote them before it ran the protocol itself
    const store = new InMemoryPersistenceLayer();
    const before = makeIdempotent(async (_payload: { event: string; group: string }, _context: { getRemainingTimeInMillis(): number }) => ({ run: 0, amount: 10 }), {
      persistenceStore: store,
      keyPrefix: "ensemble",
      config: new IdempotencyConfig({ expiresAfterSeconds: DEFAULT_IDEMPOTENCY_TTL_SECONDS }),
    });
    await before({ event: "evt-1", group: "notify-customer" }, { getRemainingTimeInMillis: () => 60_000 });
    const { fn, runs } = countingHandler();
    const handle = once(fn, { group: "notify-customer", store, ...byId });

    // Act
    const result = await handle({ id: "evt-1", amount: 10 });

    // Assess
    expect(runs).toHaveLength(0);
    expect(result).toEqual({ run: 0, amount: 10 });
  });

  it("gives each consumer group its own effect for the same event id", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn, runs } = countingHandler();
    const notify = once(fn, { group: "notify-customer", store, ...byId });
    const ledger = once(fn, { group: "sales-ledger", store, ...byId });

    // Act
    await notify({ id: "evt-1", amount: 10 });
    await ledger({ id: "evt-1", amount: 10 });
    await ledger({ id: "evt-1", amount: 10 });

    // Assess
    expect(runs).toHaveLength(2);
  });

  it("runs the handler for each distinct event id", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn, runs } = countingHandler();
    const handle = once(fn, { group: "notify-customer", store, ...byId });

    // Act
    const results = [await handle({ id: "evt-1", amount: 10 }), await handle({ id: "evt-2", amount: 20 })];

    // Assess
    expect(runs.map((r) => r.id)).toEqual(["evt-1", "evt-2"]);
    expect(results).toEqual([
      { run: 1, amount: 10 },
      { run: 2, amount: 20 },
    ]);
  });

  it("keys on the event id alone, not on the rest of the input", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn, runs } = countingHandler();
    const handle = once(fn, { group: "notify-customer", store, ...byId });

    // Act
    await handle({ id: "evt-1", amount: 10 });
    const redelivered = await handle({ id: "evt-1", amount: 99 });

    // Assess
    expect(runs).toHaveLength(1);
    expect(redelivered).toEqual({ run: 1, amount: 10 });
  });

  it("forgets an event id once its TTL has passed", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn, runs } = countingHandler();
    const handle = once(fn, { group: "notify-customer", store, ttlSeconds: 60, ...byId });
    await handle({ id: "evt-1", amount: 10 });

    // Act
    jest.advanceTimersByTime(59_000);
    const withinTtl = await handle({ id: "evt-1", amount: 10 });
    jest.advanceTimersByTime(2_000);
    const afterTtl = await handle({ id: "evt-1", amount: 10 });

    // Assess
    expect(withinTtl).toEqual({ run: 1, amount: 10 });
    expect(afterTtl).toEqual({ run: 2, amount: 10 });
    expect(runs).toHaveLength(2);
  });

  it("deletes the record when the handler throws, so a retry runs it again", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    let attempts = 0;
    const handle = once(
      async (delivery: Delivery) => {
        attempts++;
        if (attempts === 1) throw new Error("downstream unavailable");
        return { handled: delivery.id };
      },
      { group: "notify-customer", store, ...byId },
    );

    // Act
    const failed = handle({ id: "evt-1", amount: 10 });
    await expect(failed).rejects.toThrow("downstream unavailable");
    const retried = await handle({ id: "evt-1", amount: 10 });
    const duplicate = await handle({ id: "evt-1", amount: 10 });

    // Assess
    expect(attempts).toBe(2);
    expect(retried).toEqual({ handled: "evt-1" });
    expect(duplicate).toEqual({ handled: "evt-1" });
  });

  it("rejects a concurrent duplicate with a retryable in-progress error, then serves the stored result", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const started = deferred();
    const release = deferred();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        started.resolve();
        await release.promise;
        return { handled: delivery.id };
      },
      { group: "notify-customer", store, ...byId },
    );
    const first = handle({ id: "evt-1", amount: 10 });
    await started.promise;

    // Act
    const concurrent = handle({ id: "evt-1", amount: 10 }).catch((error: unknown) => error);
    const error = await concurrent;
    release.resolve();
    await first;
    const later = await handle({ id: "evt-1", amount: 10 });

    // Assess
    expect(error).toBeInstanceOf(EventInProgressError);
    expect(error).toMatchObject({
      name: "EventInProgressError",
      message: expect.stringMatching(/"evt-1".*"notify-customer"/),
    });
    expect((error as Error).cause).toBeInstanceOf(IdempotencyAlreadyInProgressError);
    expect(runs).toBe(1);
    expect(later).toEqual({ handled: "evt-1" });
  });

  it("lets a retry run once the first attempt's Lambda time has run out", async () => {
    // Prepare: the first attempt never finishes (its Lambda timed out)
    const store = new InMemoryPersistenceLayer();
    const hung = deferred();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        if (runs === 1) await hung.promise;
        return { handled: delivery.id, run: runs };
      },
      { group: "notify-customer", store, ...byId },
    );
    const lambda = { getRemainingTimeInMillis: () => 3_000 };
    const first = handle({ id: "evt-1", amount: 10 }, lambda);
    // An invocation with less time left than it keeps for the handler does not wait for the claim.
    const short = { getRemainingTimeInMillis: () => CLAIM_WAIT_RESERVE_MS - 1 };
    const whileRunning = await handle({ id: "evt-1", amount: 10 }, short).catch((error: unknown) => error);

    // Act
    jest.advanceTimersByTime(3_001);
    const retried = await handle({ id: "evt-1", amount: 10 }, lambda);

    // Assess
    expect(whileRunning).toBeInstanceOf(EventInProgressError);
    expect(retried).toEqual({ handled: "evt-1", run: 2 });
    hung.resolve();
    await first;
  });

  it("lets a retry run once an attempt that started with no Lambda time left has gone, not after the whole TTL", async () => {
    // Prepare: an attempt that began with 0 ms left, and never finishes
    const store = new InMemoryPersistenceLayer();
    const hung = deferred();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        if (runs === 1) await hung.promise;
        return { handled: delivery.id, run: runs };
      },
      { group: "notify-customer", store, ...byId },
    );
    const first = handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 0 });

    // Act: a retry a moment later
    jest.advanceTimersByTime(2);
    const retried = await handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 3_000 });

    // Assess
    expect(retried).toEqual({ handled: "evt-1", run: 2 });
    hung.resolve();
    await first;
  });

  it("refuses a second TTL on a store that already has one", () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const { fn } = countingHandler();
    once(fn, { group: "notify-customer", store, ttlSeconds: 60, ...byId });

    // Act
    const conflicting = () => once(fn, { group: "sales-ledger", store, ttlSeconds: 120, ...byId });

    // Assess
    expect(conflicting).toThrow(RuntimeConfigError);
    expect(conflicting).toThrow(/"sales-ledger".*120 s.*60 s/);
  });

  it("rejects a TTL that is not a positive whole number of seconds", () => {
    // Prepare
    const { fn } = countingHandler();

    // Act
    const zero = () => once(fn, { group: "notify-customer", store: new InMemoryPersistenceLayer(), ttlSeconds: 0, ...byId });

    // Assess
    expect(zero).toThrow(RuntimeConfigError);
  });
});

describe("idempotencyStoreFromEnv", () => {
  it("shares one in-process store across the process when no table is configured", () => {
    // Act
    const first = idempotencyStoreFromEnv({});
    const second = idempotencyStoreFromEnv({ ENSEMBLE_IDEMPOTENCY_TABLE: " " });

    // Assess
    expect(first).toBeInstanceOf(InMemoryPersistenceLayer);
    expect(second).toBe(first);
  });

  it("uses DynamoDB when a table is configured", () => {
    // Act
    const store = idempotencyStoreFromEnv({
      ENSEMBLE_IDEMPOTENCY_TABLE: "dev-idempotency",
      ENSEMBLE_DYNAMODB_ENDPOINT: "http://127.0.0.1:1",
    });

    // Assess
    expect(store).toBeInstanceOf(DynamoDBPersistenceLayer);
  });
});

describe("once, meeting another attempt's claim within its own Lambda time", () => {
  it("waits for a crashed attempt's claim to expire, then runs the handler instead of failing the record", async () => {
    // Prepare: the first attempt hangs (its container died) with a claim of 400 ms
    const store = new InMemoryPersistenceLayer();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        if (runs === 1) await new Promise(() => {});
        return { handled: delivery.id, run: runs };
      },
      { group: "notify-customer", store, ...byId },
    );
    void handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 400 });
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();

    // Act: a retry in a new invocation with 5 s left
    const retried = await handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 5_000 });

    // Assess: it ran once the claim had expired, not before
    expect(retried).toEqual({ handled: "evt-1", run: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("waits for a concurrent duplicate to finish, then returns its stored result without running again", async () => {
    // Prepare
    const store = new InMemoryPersistenceLayer();
    const release = deferred();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        await release.promise;
        return { handled: delivery.id, run: runs };
      },
      { group: "notify-customer", store, ...byId },
    );
    const first = handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 10_000 });
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    const duplicate = handle({ id: "evt-1", amount: 10 }, { getRemainingTimeInMillis: () => 10_000 });
    setTimeout(() => release.resolve(), 300);

    // Assess
    expect(await duplicate).toEqual({ handled: "evt-1", run: 1 });
    expect(await first).toEqual({ handled: "evt-1", run: 1 });
    expect(runs).toBe(1);
  });
});
