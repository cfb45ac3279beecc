import { randomUUID } from "node:crypto";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import {
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  EventInProgressError,
  IDEMPOTENCY_TABLE_SCHEMA,
  idempotencyRecordId,
  idempotencyStoreFromEnv,
  once,
} from "../../platform/runtime/idempotency";
import { createIdempotencyTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";

interface Delivery {
  readonly id: string;
  readonly amount: number;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const TABLE = "ensemble-idempotency";
const byId = { key: (delivery: Delivery) => delivery.id };

describe("once on DynamoDB (dynalite)", () => {
  let dynamo: StartedDynaliteServer;
  let client: DynamoDBClient;
  let store: BasePersistenceLayer;

  beforeAll(async () => {
    dynamo = await new DynaliteServer().start();
    client = new DynamoDBClient({
      endpoint: dynamo.getEndpoint(),
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await createIdempotencyTable(client, TABLE);
    // The path the runtime takes: the store chosen from the environment.
    store = idempotencyStoreFromEnv({ ENSEMBLE_IDEMPOTENCY_TABLE: TABLE, ENSEMBLE_DYNAMODB_ENDPOINT: dynamo.getEndpoint() });
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  /** The table's item for this group and event, as stored, or undefined. */
  async function storedItem(group: string, eventId: string): Promise<Record<string, unknown> | undefined> {
    const { Items = [] } = await DynamoDBDocumentClient.from(client).send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
    const id = idempotencyRecordId(group, eventId);
    return Items.find((item) => item[IDEMPOTENCY_TABLE_SCHEMA.partitionKey.name] === id);
  }

  it("runs the handler once for the same event id and stores the record under the expected key", async () => {
    // Prepare
    const eventId = randomUUID();
    let runs = 0;
    const handle = once(async (delivery: Delivery) => ({ run: ++runs, amount: delivery.amount }), { group: "notify-customer", store, ...byId });
    const before = Math.floor(Date.now() / 1000);

    // Act
    const first = await handle({ id: eventId, amount: 10 });
    const second = await handle({ id: eventId, amount: 10 });

    // Assess
    expect(runs).toBe(1);
    expect(first).toEqual({ run: 1, amount: 10 });
    expect(second).toEqual(first);
    const item = await storedItem("notify-customer", eventId);
    expect(item).toMatchObject({ status: "COMPLETED", data: { run: 1, amount: 10 } });
    expect(item?.id).toMatch(/^ensemble#[A-Za-z0-9+/]{22}==$/);
    const expiration = item?.[IDEMPOTENCY_TABLE_SCHEMA.ttlAttribute] as number;
    expect(expiration).toBeGreaterThanOrEqual(before + DEFAULT_IDEMPOTENCY_TTL_SECONDS);
    expect(expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + DEFAULT_IDEMPOTENCY_TTL_SECONDS);
  });

  it("gives each consumer group its own effect and its own record for the same event id", async () => {
    // Prepare
    const eventId = randomUUID();
    let runs = 0;
    const fn = async (delivery: Delivery) => ({ run: ++runs, id: delivery.id });
    const notify = once(fn, { group: "notify-customer", store, ...byId });
    const ledger = once(fn, { group: "sales-ledger", store, ...byId });

    // Act
    await notify({ id: eventId, amount: 10 });
    await ledger({ id: eventId, amount: 10 });
    await ledger({ id: eventId, amount: 10 });

    // Assess
    expect(runs).toBe(2);
    expect(await storedItem("notify-customer", eventId)).toMatchObject({ status: "COMPLETED", data: { run: 1 } });
    expect(await storedItem("sales-ledger", eventId)).toMatchObject({ status: "COMPLETED", data: { run: 2 } });
  });

  it("runs the handler for each distinct event id", async () => {
    // Prepare
    const ids = [randomUUID(), randomUUID()];
    let runs = 0;
    const handle = once(async (delivery: Delivery) => ({ run: ++runs, id: delivery.id }), { group: "notify-customer", store, ...byId });

    // Act
    for (const id of ids) await handle({ id, amount: 10 });

    // Assess
    expect(runs).toBe(2);
  });

  it("deletes the record when the handler throws, so a retry runs it again", async () => {
    // Prepare
    const eventId = randomUUID();
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
    await expect(handle({ id: eventId, amount: 10 })).rejects.toThrow("downstream unavailable");
    const afterFailure = await storedItem("notify-customer", eventId);
    const retried = await handle({ id: eventId, amount: 10 });
    const duplicate = await handle({ id: eventId, amount: 10 });

    // Assess
    expect(afterFailure).toBeUndefined();
    expect(attempts).toBe(2);
    expect(retried).toEqual({ handled: eventId });
    expect(duplicate).toEqual(retried);
    expect(await storedItem("notify-customer", eventId)).toMatchObject({ status: "COMPLETED" });
  });

  it("rejects a concurrent duplicate with a retryable in-progress error while the record is INPROGRESS", async () => {
    // Prepare
    const eventId = randomUUID();
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
    const first = handle({ id: eventId, amount: 10 });
    await started.promise;

    // Act
    const error = await handle({ id: eventId, amount: 10 }).catch((e: unknown) => e);
    const whileRunning = await storedItem("notify-customer", eventId);
    release.resolve();
    await first;
    const later = await handle({ id: eventId, amount: 10 });

    // Assess
    expect(error).toBeInstanceOf(EventInProgressError);
    expect((error as Error).message).toContain(eventId);
    expect(whileRunning).toMatchObject({ status: "INPROGRESS" });
    expect(whileRunning?.in_progress_expiration).toEqual(expect.any(Number));
    expect(runs).toBe(1);
    expect(later).toEqual({ handled: eventId });
  });

  it("lets a retry take over an INPROGRESS record whose Lambda time has run out", async () => {
    // Prepare: the first attempt hangs, and its Lambda's deadline has already passed
    const eventId = randomUUID();
    const started = deferred();
    const hung = deferred();
    let runs = 0;
    const handle = once(
      async (delivery: Delivery) => {
        runs++;
        if (runs === 1) {
          started.resolve();
          await hung.promise;
        }
        return { handled: delivery.id, run: runs };
      },
      { group: "notify-customer", store, ...byId },
    );
    const first = handle({ id: eventId, amount: 10 }, { getRemainingTimeInMillis: () => -1_000 });
    await started.promise;

    // Act
    const retried = await handle({ id: eventId, amount: 10 });

    // Assess
    expect(retried).toEqual({ handled: eventId, run: 2 });
    expect(await storedItem("notify-customer", eventId)).toMatchObject({ status: "COMPLETED", data: { run: 2 } });
    hung.resolve();
    await first;
  });

  it("forgets an event id once its TTL has passed", async () => {
    // Prepare
    const eventId = randomUUID();
    let runs = 0;
    const handle = once(async (delivery: Delivery) => ({ run: ++runs, id: delivery.id }), { group: "notify-customer", store, ...byId });
    await handle({ id: eventId, amount: 10 });
    const later = Date.now() + (DEFAULT_IDEMPOTENCY_TTL_SECONDS + 1) * 1000;

    // Act: only the clock Powertools reads moves; dynalite checks no request signature dates
    const now = jest.spyOn(Date, "now").mockReturnValue(later);
    let afterTtl: unknown;
    try {
      afterTtl = await handle({ id: eventId, amount: 10 });
    } finally {
      now.mockRestore();
    }

    // Assess
    expect(afterTtl).toEqual({ run: 2, id: eventId });
  });
});
