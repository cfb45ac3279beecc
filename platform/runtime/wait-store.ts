import { createHash } from "node:crypto";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { FunctionEnvironment } from "../model/function-environment";
import { dynamoDbClientConfig } from "./idempotency";

/**
 * Where the correlator keeps, per awaited event type and key value, the waits registered and an
 * event that came before any wait. Both sides write and read one item in one atomic update, so
 * whichever comes second sees the first: no wait misses its event, whatever the order.
 */
export interface WaitStore {
  /** Adds a waiter; answers the event already kept for the slot, if one is (and not expired). */
  register(slot: string, waiter: Waiter, keepSeconds: number): Promise<KeptEvent | undefined>;
  /**
   * Keeps the event (the first one, while it is kept); answers the waiters registered, unexpired,
   * and the event they get: the one kept, which is this one unless another came first.
   */
  arrive(slot: string, event: KeptEvent, keepSeconds: number): Promise<{ waiters: Waiter[]; event: KeptEvent }>;
  /** Forgets waiters that were completed or are gone. */
  forget(slot: string, tokens: readonly string[]): Promise<void>;
}

export interface Waiter {
  readonly taskToken: string;
  readonly executionId: string;
  readonly state: string;
  /** Epoch seconds: when the wait times out. */
  readonly expiresAt: number;
  /** The waiting execution's X-Ray trace header, so its completion shows in its trace. */
  readonly traceHeader?: string | undefined;
}

export interface KeptEvent {
  readonly id: string;
  readonly data: unknown;
  /** The event's `time` (epoch seconds): it is kept for the keep time from then, not from its arrival, so a replayed old event is not fresh. */
  readonly time?: number;
  /** The trace the event's handling is part of, for a wait that registers after it. */
  readonly traceparent?: string;
}

/** One slot per awaited type, event key path and key value. */
export const waitSlot = (type: string, eventKey: string, value: unknown) => `${type}|${eventKey}|${JSON.stringify(value)}`;


const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Waiters are top-level attributes, `w_<hash of the token>`: a nested map could not be set in one update before it exists. */
const waiterAttribute = (token: string) => `w_${createHash("sha256").update(token).digest("hex").slice(0, 40)}`;

/**
 * The store on DynamoDB. DynamoDB deletes expired items late ("typically within a few days"), so
 * every read checks the expiry itself.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 */
export class DynamoDbWaitStore implements WaitStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.client = DynamoDBDocumentClient.from(client);
  }

  async register(slot: string, waiter: Waiter, keepSeconds: number): Promise<KeptEvent | undefined> {
    const { Attributes: old } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: slot },
        UpdateExpression: "SET #w = :w, expiresAt = :exp",
        ExpressionAttributeNames: { "#w": waiterAttribute(waiter.taskToken) },
        ExpressionAttributeValues: { ":w": JSON.stringify(waiter), ":exp": Math.max(waiter.expiresAt, nowSeconds() + keepSeconds) },
        ReturnValues: "ALL_OLD",
      }),
    );
    return old?.event && Number(old.eventUntil) > nowSeconds() ? (JSON.parse(String(old.event)) as KeptEvent) : undefined;
  }

  async arrive(slot: string, event: KeptEvent, keepSeconds: number): Promise<{ waiters: Waiter[]; event: KeptEvent }> {
    const now = nowSeconds();
    const until = (event.time ?? now) + keepSeconds;
    let old: Record<string, unknown> | undefined;
    let kept = event;
    try {
      // The first event is kept; an expired one (not yet deleted) is replaced.
      ({ Attributes: old } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: slot },
          UpdateExpression: "SET #event = :event, eventUntil = :until, expiresAt = :exp",
          ConditionExpression: "attribute_not_exists(#event) OR eventUntil <= :now",
          ExpressionAttributeNames: { "#event": "event" },
          ExpressionAttributeValues: { ":event": JSON.stringify(event), ":until": until, ":exp": Math.max(until, now + keepSeconds), ":now": now },
          ReturnValues: "ALL_OLD",
        }),
      ));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== "ConditionalCheckFailedException") throw error;
      // An event is kept already (a redelivery, or a second event for the key): waiters
      // registered since found it and completed themselves; any left over get the kept one.
      ({ Attributes: old } = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: { id: slot }, UpdateExpression: "SET expiresAt = :exp", ExpressionAttributeValues: { ":exp": now + keepSeconds }, ReturnValues: "ALL_OLD" }),
      ));
      if (old?.event) kept = JSON.parse(String(old.event)) as KeptEvent;
    }
    const waiters = Object.entries(old ?? {})
      .filter(([name]) => name.startsWith("w_"))
      .map(([, value]) => JSON.parse(String(value)) as Waiter)
      .filter((waiter) => waiter.expiresAt > now);
    return { waiters, event: kept };
  }

  async forget(slot: string, tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    const attributes = Object.fromEntries(tokens.map((token, i) => [`#w${i}`, waiterAttribute(token)]));
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: { id: slot }, UpdateExpression: `REMOVE ${Object.keys(attributes).join(", ")}`, ExpressionAttributeNames: attributes }),
    );
  }
}

/** The store in this process's memory, with the same semantics: the local runtime's. */
export class InMemoryWaitStore implements WaitStore {
  private readonly slots = new Map<string, { event?: KeptEvent; eventUntil?: number; waiters: Map<string, Waiter> }>();

  async register(slot: string, waiter: Waiter): Promise<KeptEvent | undefined> {
    const item = this.item(slot);
    item.waiters.set(waiter.taskToken, waiter);
    return item.event && item.eventUntil! > nowSeconds() ? item.event : undefined;
  }

  async arrive(slot: string, event: KeptEvent, keepSeconds: number): Promise<{ waiters: Waiter[]; event: KeptEvent }> {
    const item = this.item(slot);
    const now = nowSeconds();
    if (!item.event || item.eventUntil! <= now) Object.assign(item, { event, eventUntil: (event.time ?? now) + keepSeconds });
    return { waiters: [...item.waiters.values()].filter((waiter) => waiter.expiresAt > now), event: item.event! };
  }

  async forget(slot: string, tokens: readonly string[]): Promise<void> {
    for (const token of tokens) this.slots.get(slot)?.waiters.delete(token);
  }

  private item(slot: string) {
    let item = this.slots.get(slot);
    if (!item) this.slots.set(slot, (item = { waiters: new Map() }));
    return item;
  }
}

const inMemoryStores = new Map<string, InMemoryWaitStore>();

/**
 * `ENSEMBLE_WAIT_TABLE` set (by the infra): DynamoDB; unset: an in-process store per correlator
 * (the local runtime), as each has its own table on AWS.
 */
export function waitStoreFromEnv(correlator: string, env: NodeJS.ProcessEnv = process.env): WaitStore {
  const tableName = env[FunctionEnvironment.WaitTable]?.trim();
  if (!tableName) {
    let store = inMemoryStores.get(correlator);
    if (!store) inMemoryStores.set(correlator, (store = new InMemoryWaitStore()));
    return store;
  }
  return new DynamoDbWaitStore(tableName, new DynamoDBClient(dynamoDbClientConfig(env)));
}
