import { randomUUID } from "node:crypto";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { hasHandled, idempotencyStoreFromEnv, InMemoryPersistenceLayer, once } from "../../../platform/runtime/idempotency";
import { createIdempotencyTable, DynaliteServer, type StartedDynaliteServer } from "../../support/dynamodb";

describe("hasHandled", () => {
  let dynamo: StartedDynaliteServer;
  let client: DynamoDBClient;
  const stores: [string, () => BasePersistenceLayer][] = [];

  beforeAll(async () => {
    dynamo = await new DynaliteServer().start();
    client = new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    await createIdempotencyTable(client, "has-handled");
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  stores.push(["the in-process store", () => new InMemoryPersistenceLayer()]);
  stores.push(["DynamoDB (dynalite)", () => idempotencyStoreFromEnv({ ENSEMBLE_IDEMPOTENCY_TABLE: "has-handled", ENSEMBLE_DYNAMODB_ENDPOINT: dynamo.getEndpoint() })]);

  it.each(stores)("on %s, is true only for an event id the group completed", async (_, makeStore) => {
    // Prepare
    const store = makeStore();
    const [done, failed, never] = [randomUUID(), randomUUID(), randomUUID()];
    const handle = once(
      async (id: string) => {
        if (id === failed) throw new Error("downstream unavailable");
        return { handled: id };
      },
      { group: "notify-customer", key: (id) => id, store },
    );
    await handle(done);
    await expect(handle(failed)).rejects.toThrow("downstream unavailable");

    // Act
    const answers = await Promise.all([done, failed, never].map((id) => hasHandled(store, "notify-customer", id)));
    const otherGroup = await hasHandled(store, "sales-ledger", done);

    // Assess
    expect(answers).toEqual([true, false, false]);
    expect(otherGroup).toBe(false);
  });
});
