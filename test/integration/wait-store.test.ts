import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbWaitStore, InMemoryWaitStore, type WaitStore, waitSlot } from "../../platform/runtime/wait-store";
import { createWaitTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";

const HOUR = 3600;
const inAnHour = () => Math.floor(Date.now() / 1000) + HOUR;
const waiter = (token: string) => ({ taskToken: token, executionId: `exec-${token}`, state: "AwaitDispatch", expiresAt: inAnHour() });
let slotNumber = 0;
/** A slot of its own per test: no test reads another's items. */
const freshSlot = () => waitSlot("shipping.ShipmentDispatched", "$.orderId", `o-${++slotNumber}`);

let dynamo: StartedDynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await new DynaliteServer().start();
  client = new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await createWaitTable(client, "dev-billing-waits");
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

// The same semantics on DynamoDB (dynalite, a real DynamoDB-compatible server) and in memory (the local runtime's).
describe.each([
  ["DynamoDB (dynalite)", () => new DynamoDbWaitStore("dev-billing-waits", client)],
  ["in memory", () => new InMemoryWaitStore()],
])("wait store on %s", (_, makeStore: () => WaitStore) => {
  let store: WaitStore;
  beforeEach(() => {
    store = makeStore();
  });

  it("answers a wait registered first when its event arrives, and forgets it once answered", async () => {
    const slot = freshSlot();
    expect(await store.register(slot, waiter("t1"), HOUR)).toBeUndefined();
    expect(await store.arrive(slot, { id: "e1", data: { orderId: "o" } }, HOUR)).toEqual({ waiters: [{ ...waiter("t1"), expiresAt: expect.any(Number) }], event: { id: "e1", data: { orderId: "o" } } });
    await store.forget(slot, ["t1"]);
    expect((await store.arrive(slot, { id: "e1", data: { orderId: "o" } }, HOUR)).waiters).toEqual([]);
  });

  it("keeps an event that arrives first for the wait registered after it, and keeps the first of two", async () => {
    const slot = freshSlot();
    expect(await store.arrive(slot, { id: "e1", data: { n: 1 } }, HOUR)).toEqual({ waiters: [], event: { id: "e1", data: { n: 1 } } });
    expect(await store.arrive(slot, { id: "e2", data: { n: 2 } }, HOUR)).toEqual({ waiters: [], event: { id: "e1", data: { n: 1 } } });
    expect(await store.register(slot, waiter("t2"), HOUR)).toEqual({ id: "e1", data: { n: 1 } });
  });

  it("gives a waiter still registered when a second event comes the first event's data, not the second's", async () => {
    const slot = freshSlot();
    await store.arrive(slot, { id: "e1", data: { n: 1 } }, HOUR);
    // A waiter the first arrival did not see and that has not completed itself yet (a registration racing a redelivery).
    await store.register(slot, waiter("t3"), HOUR);
    expect(await store.arrive(slot, { id: "e2", data: { n: 2 } }, HOUR)).toEqual({ waiters: [{ ...waiter("t3"), expiresAt: expect.any(Number) }], event: { id: "e1", data: { n: 1 } } });
  });

  it("keeps an event for the keep time from its own time, so a replayed old event is not fresh", async () => {
    const slot = freshSlot();
    const longAgo = Math.floor(Date.now() / 1000) - 2 * HOUR;
    await store.arrive(slot, { id: "e-replayed", data: {}, time: longAgo }, HOUR);
    expect(await store.register(slot, waiter("t4"), HOUR)).toBeUndefined();
  });

  it("does not hand out an event past its keep time, nor a waiter past its timeout", async () => {
    const slot = freshSlot();
    await store.arrive(slot, { id: "e-old", data: {} }, -1);
    expect(await store.register(slot, { ...waiter("t-old"), expiresAt: Math.floor(Date.now() / 1000) - 1 }, HOUR)).toBeUndefined();
    // The expired event is replaced by the next, which finds no live waiter.
    expect((await store.arrive(slot, { id: "e-new", data: { fresh: true } }, HOUR)).waiters).toEqual([]);
    expect(await store.register(slot, waiter("t-new"), HOUR)).toEqual({ id: "e-new", data: { fresh: true } });
  });

  it("never lets a wait miss its event, whatever the interleaving: each of 40 is answered once, by one side", async () => {
    const pairs = Array.from({ length: 40 }, (_, i) => ({ slot: freshSlot(), token: `race-${i}` }));
    const answered = new Map<string, string[]>();
    const note = (token: string, by: string) => answered.set(token, [...(answered.get(token) ?? []), by]);
    await Promise.all(
      pairs.flatMap(({ slot, token }, i) => {
        const register = async () => {
          if (await store.register(slot, waiter(token), HOUR)) note(token, "register");
        };
        const arrive = async () => {
          for (const w of (await store.arrive(slot, { id: `e-${token}`, data: {} }, HOUR)).waiters) note(w.taskToken, "arrive");
        };
        return i % 2 === 0 ? [register(), arrive()] : [arrive(), register()];
      }),
    );
    expect(pairs.map(({ token }) => [token, answered.get(token)?.length ?? 0])).toEqual(pairs.map(({ token }) => [token, 1]));
  });
});
