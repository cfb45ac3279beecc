import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { INVARIANT_TABLE_SCHEMA } from "../../platform/model/invariants-group";
import { WAIT_TABLE_SCHEMA } from "../../platform/model/correlator";
import { IDEMPOTENCY_TABLE_SCHEMA } from "../../platform/runtime/idempotency";

interface DynaliteOptions {
  /** How long a new table stays CREATING. */
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite ships no types; this is the one function it exports.
const dynalite: (options?: DynaliteOptions) => Server = require("dynalite");

/**
 * A DynamoDB-compatible HTTP server (dynalite, in memory) on a free port of this host, in the
 * shape of a testcontainers container: configure, `start()`, then use the started server.
 */
export class DynaliteServer {
  #createTableMs = 0;

  /** How long a new table stays CREATING before it is ACTIVE. @default 0 */
  withCreateTableMs(ms: number): this {
    this.#createTableMs = ms;
    return this;
  }

  async start(): Promise<StartedDynaliteServer> {
    const server = dynalite({ createTableMs: this.#createTableMs, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new StartedDynaliteServer(server);
  }
}

export class StartedDynaliteServer {
  readonly #server: Server;

  constructor(server: Server) {
    this.#server = server;
  }

  /** `http://127.0.0.1:<port>`, for `endpoint` of a DynamoDB client. */
  getEndpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    // Keep-alive sockets of SDK clients would hold close() open; nothing needs them any more.
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }
}

/**
 * Creates the idempotency table as the infra does, from `IDEMPOTENCY_TABLE_SCHEMA`, and waits
 * until it is ACTIVE. Enables TTL where the server supports it: dynalite does not implement
 * UpdateTimeToLive, which costs nothing here, as Powertools treats expired records as absent
 * whether or not TTL has deleted them yet.
 */
export async function createIdempotencyTable(client: DynamoDBClient, name: string): Promise<void> {
  await createTable(client, name, IDEMPOTENCY_TABLE_SCHEMA);
}

/** Creates a correlator's table of waits as the infra does, from `WAIT_TABLE_SCHEMA`. */
export async function createWaitTable(client: DynamoDBClient, name: string): Promise<void> {
  await createTable(client, name, WAIT_TABLE_SCHEMA);
}

/** The invariants group's table, as infra creates it: the `due` index included. */
export async function createInvariantTable(client: DynamoDBClient, name: string): Promise<void> {
  const { partitionKey, dueIndex } = INVARIANT_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: partitionKey.name, KeyType: "HASH" }],
      AttributeDefinitions: [
        { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
        { AttributeName: dueIndex.partitionKey.name, AttributeType: dueIndex.partitionKey.type },
        { AttributeName: dueIndex.sortKey.name, AttributeType: dueIndex.sortKey.type },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: dueIndex.name,
          KeySchema: [
            { AttributeName: dueIndex.partitionKey.name, KeyType: "HASH" },
            { AttributeName: dueIndex.sortKey.name, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 2, maxWaitTime: 30 }, { TableName: name });
}

async function createTable(client: DynamoDBClient, name: string, schema: { partitionKey: { name: string; type: "S" }; ttlAttribute: string }): Promise<void> {
  const { partitionKey, ttlAttribute } = schema;
  const billingMode = "PAY_PER_REQUEST";
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: partitionKey.name, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: partitionKey.name, AttributeType: partitionKey.type }],
      BillingMode: billingMode,
    }),
  );
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 2, maxWaitTime: 30 }, { TableName: name });
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  } catch (error) {
    if (!(error instanceof Error && error.name === "UnknownOperationException")) throw error;
  }
}
