import { createHash } from "node:crypto";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { FunctionEnvironment } from "../model/function-environment";
import { DUE_SHARDS, INVARIANT_TABLE_SCHEMA } from "../model/invariants-group";
import type { SeenEvent, ViolationKind } from "../model/invariant";
import { dynamoDbClientConfig } from "./idempotency";

/** What the checker keeps for one invariant and one key. */
export interface KeyState {
  readonly invariant: string;
  readonly key: string;
  /** Every event seen for the key, once per id. */
  readonly seen: readonly SeenEvent[];
  /** The kinds of violation already reported for the key: each is reported once. */
  readonly reported: readonly ViolationKind[];
}

/**
 * Where the invariants group keeps each key's events. Adding an event is one atomic update keyed
 * by the event's id, so a redelivery or a replay changes nothing and concurrent batches never
 * lose each other's events.
 */
export interface InvariantStore {
  /** Adds the event (once per id) and answers what is kept for the key, the event included. */
  add(invariant: string, key: string, event: SeenEvent, keepSeconds: number): Promise<KeyState>;
  /** What is kept for the key now (strongly consistent), or undefined when nothing is. */
  get(invariant: string, key: string): Promise<KeyState | undefined>;
  /** Claims the report of a kind of violation; false when another invocation claimed it first. */
  markReported(invariant: string, key: string, kind: ViolationKind): Promise<boolean>;
  /** Gives a claim back, when reporting failed after it: a retry claims and reports again. */
  unmarkReported(invariant: string, key: string, kind: ViolationKind): Promise<void>;
  /** Sets (or, with undefined, clears) when the key is next due for a check without a new event. */
  setDue(invariant: string, key: string, dueAtMs: number | undefined): Promise<void>;
  /** Every key due at `nowMs` or before. */
  due(nowMs: number): Promise<KeyState[]>;
}

const itemId = (invariant: string, key: string) => `${invariant}|${key}`;
const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);
/** Events are top-level attributes `e_<hash of the id>`: a nested map could not be set in one update before it exists. */
const eventAttribute = (id: string) => `e_${hash(id)}`;
const reportedAttribute = (kind: ViolationKind) => `r_${kind.replace(/-/g, "_")}`;
const shardOf = (id: string) => String(parseInt(hash(id).slice(0, 8), 16) % DUE_SHARDS);

/**
 * The store on DynamoDB: one item per invariant and key, deleted by TTL `keepSeconds` after its
 * last event; keys with a pending bound are in the sparse `due` index (sharded, so one busy
 * minute does not make one hot partition), which the scheduled sweep queries.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.sparse
 */
export class DynamoDbInvariantStore implements InvariantStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.client = DynamoDBDocumentClient.from(client);
  }

  async add(invariant: string, key: string, event: SeenEvent, keepSeconds: number): Promise<KeyState> {
    const { Attributes: item } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: itemId(invariant, key) },
        // The first copy of an event stays: a redelivery never moves its time.
        UpdateExpression: "SET #e = if_not_exists(#e, :e), invariant = :invariant, #key = :key, expiresAt = :exp",
        ExpressionAttributeNames: { "#e": eventAttribute(event.id), "#key": "key" },
        ExpressionAttributeValues: { ":e": JSON.stringify(event), ":invariant": invariant, ":key": key, ":exp": Math.floor(Date.now() / 1000) + keepSeconds },
        ReturnValues: "ALL_NEW",
      }),
    );
    return stateOf(item ?? {});
  }

  async get(invariant: string, key: string): Promise<KeyState | undefined> {
    // The due index is read eventually consistently: the sweep re-reads the item itself.
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id: itemId(invariant, key) }, ConsistentRead: true }));
    return Item ? stateOf(Item) : undefined;
  }

  async unmarkReported(invariant: string, key: string, kind: ViolationKind): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: { id: itemId(invariant, key) }, UpdateExpression: "REMOVE #r", ExpressionAttributeNames: { "#r": reportedAttribute(kind) } }),
    );
  }

  async markReported(invariant: string, key: string, kind: ViolationKind): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: itemId(invariant, key) },
          UpdateExpression: "SET #r = :now",
          // Never recreate an item TTL has deleted (it would have no expiry).
          ConditionExpression: "attribute_exists(id) AND attribute_not_exists(#r)",
          ExpressionAttributeNames: { "#r": reportedAttribute(kind) },
          ExpressionAttributeValues: { ":now": Date.now() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }

  async setDue(invariant: string, key: string, dueAtMs: number | undefined): Promise<void> {
    const id = itemId(invariant, key);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id },
        // Never recreate an item TTL has deleted (it would have no expiry).
        ConditionExpression: "attribute_exists(id)",
        ...(dueAtMs === undefined
          ? { UpdateExpression: "REMOVE dueShard, dueAt" }
          : { UpdateExpression: "SET dueShard = :shard, dueAt = :due", ExpressionAttributeValues: { ":shard": shardOf(id), ":due": dueAtMs } }),
      }),
    ).catch((error: Error) => {
      if (!(error instanceof ConditionalCheckFailedException) && error.name !== "ConditionalCheckFailedException") throw error;
    });
  }

  async due(nowMs: number): Promise<KeyState[]> {
    const index = INVARIANT_TABLE_SCHEMA.dueIndex;
    const found: KeyState[] = [];
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: "dueShard = :shard AND dueAt <= :now",
            ExpressionAttributeValues: { ":shard": String(shard), ":now": nowMs },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) found.push(stateOf(item));
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return found;
  }
}

function stateOf(item: Record<string, unknown>): KeyState {
  const entries = Object.entries(item);
  return {
    invariant: String(item.invariant ?? ""),
    key: String(item.key ?? ""),
    seen: entries.filter(([name]) => name.startsWith("e_")).map(([, value]) => JSON.parse(String(value)) as SeenEvent),
    reported: entries.filter(([name]) => name.startsWith("r_")).map(([name]) => name.slice(2).replace(/_/g, "-") as ViolationKind),
  };
}

/** The store in this process's memory, with the same semantics: the local runtime's. */
export class InMemoryInvariantStore implements InvariantStore {
  private readonly items = new Map<string, { invariant: string; key: string; seen: Map<string, SeenEvent>; reported: Set<ViolationKind>; dueAt?: number }>();

  async add(invariant: string, key: string, event: SeenEvent): Promise<KeyState> {
    const item = this.item(invariant, key);
    if (!item.seen.has(event.id)) item.seen.set(event.id, event);
    return this.stateOf(item);
  }

  async get(invariant: string, key: string): Promise<KeyState | undefined> {
    const item = this.items.get(itemId(invariant, key));
    return item && this.stateOf(item);
  }

  async unmarkReported(invariant: string, key: string, kind: ViolationKind): Promise<void> {
    this.items.get(itemId(invariant, key))?.reported.delete(kind);
  }

  async markReported(invariant: string, key: string, kind: ViolationKind): Promise<boolean> {
    const item = this.item(invariant, key);
    if (item.reported.has(kind)) return false;
    item.reported.add(kind);
    return true;
  }

  async setDue(invariant: string, key: string, dueAtMs: number | undefined): Promise<void> {
    const item = this.item(invariant, key);
    if (dueAtMs === undefined) delete item.dueAt;
    else item.dueAt = dueAtMs;
  }

  async due(nowMs: number): Promise<KeyState[]> {
    return [...this.items.values()].filter((item) => item.dueAt !== undefined && item.dueAt <= nowMs).map((item) => this.stateOf(item));
  }

  /** Every key the store holds: what the local runtime checks when the flow has settled. */
  all(): KeyState[] {
    return [...this.items.values()].map((item) => this.stateOf(item));
  }

  private item(invariant: string, key: string) {
    const id = itemId(invariant, key);
    let item = this.items.get(id);
    if (!item) this.items.set(id, (item = { invariant, key, seen: new Map(), reported: new Set() }));
    return item;
  }

  private stateOf(item: { invariant: string; key: string; seen: Map<string, SeenEvent>; reported: Set<ViolationKind> }): KeyState {
    return { invariant: item.invariant, key: item.key, seen: [...item.seen.values()], reported: [...item.reported] };
  }
}

/** The table the Lambda's environment names (`ENSEMBLE_INVARIANT_TABLE`); without one, a store in memory (the local runtime). */
export function invariantStoreFromEnv(env: NodeJS.ProcessEnv = process.env): InvariantStore {
  const table = env[FunctionEnvironment.InvariantTable]?.trim();
  if (!table) return new InMemoryInvariantStore();
  return new DynamoDbInvariantStore(table, new DynamoDBClient(dynamoDbClientConfig(env)));
}
