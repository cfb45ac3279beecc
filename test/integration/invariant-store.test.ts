import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbInvariantStore, InMemoryInvariantStore, type InvariantStore } from "../../platform/runtime/invariant-store";
import { createInvariantTable, DynaliteServer, type StartedDynaliteServer } from "../support/dynamodb";

const HOUR = 3600;
let keyNumber = 0;
/** A key of its own per test: no test reads another's items. */
const freshKey = () => `o-${++keyNumber}-${Date.now()}`;
const event = (id: string, type = "sales.Placed") => ({ id, type, time: "2026-12-07T10:00:00.000Z" });

let dynamo: StartedDynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await new DynaliteServer().start();
  client = new DynamoDBClient({ endpoint: dynamo.getEndpoint(), region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await createInvariantTable(client, "dev-invariants");
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

// The same semantics on DynamoDB (dynalite, a real DynamoDB-compatible server) and in memory (the local runtime's).
describe.each([
  ["DynamoDB (dynalite)", () => new DynamoDbInvariantStore("dev-invariants", client)],
  ["in memory", () => new InMemoryInvariantStore()],
])("invariant store on %s", (_, makeStore: () => InvariantStore) => {
  let store: InvariantStore;
  beforeEach(() => {
    store = makeStore();
  });

  it("keeps each event of a key once per id, per invariant", async () => {
    const key = freshKey();
    await store.add("settles", key, event("p1"), HOUR);
    await store.add("settles", key, event("p1"), HOUR);
    const state = await store.add("settles", key, event("i1", "bill.Invoiced"), HOUR);
    expect(state).toEqual({ invariant: "settles", key, seen: expect.arrayContaining([event("p1"), event("i1", "bill.Invoiced")]), reported: [] });
    expect(state.seen).toHaveLength(2);
    expect((await store.add("other", key, event("p1"), HOUR)).seen).toEqual([event("p1")]);
  });

  it("keeps every event of concurrent adds for one key, and the first copy of each", async () => {
    const key = freshKey();
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.add("settles", key, event(`e${i}`), HOUR)));
    await store.add("settles", key, { ...event("e0"), time: "2030-01-01T00:00:00.000Z" }, HOUR);
    const state = await store.get("settles", key);
    expect(state!.seen.map((e) => e.id).sort()).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"]);
    expect(state!.seen.find((e) => e.id === "e0")!.time).toBe("2026-12-07T10:00:00.000Z");
  });

  it("records a kind of violation as reported once: the second claim loses", async () => {
    const key = freshKey();
    await store.add("settles", key, event("p1"), HOUR);
    expect(await store.markReported("settles", key, "missing")).toBe(true);
    expect(await store.markReported("settles", key, "missing")).toBe(false);
    expect(await store.markReported("settles", key, "more-than-one")).toBe(true);
    await store.unmarkReported("settles", key, "more-than-one");
    expect(await store.markReported("settles", key, "more-than-one")).toBe(true);
    expect([...(await store.add("settles", key, event("p1"), HOUR)).reported].sort()).toEqual(["missing", "more-than-one"]);
  });

  it("answers the keys due by a time, and forgets one once cleared", async () => {
    const [early, late, cleared] = [freshKey(), freshKey(), freshKey()];
    for (const key of [early, late, cleared]) await store.add("settles", key, event(`p-${key}`), HOUR);
    await store.setDue("settles", early, 1_000);
    await store.setDue("settles", late, 5_000);
    await store.setDue("settles", cleared, 1_000);
    await store.setDue("settles", cleared, undefined);
    const due = (await store.due(2_000)).filter((s) => [early, late, cleared].includes(s.key));
    expect(due.map((s) => [s.invariant, s.key, s.seen.map((e) => e.id)])).toEqual([["settles", early, [`p-${early}`]]]);
    expect((await store.due(5_000)).filter((s) => [early, late, cleared].includes(s.key)).map((s) => s.key).sort()).toEqual([early, late].sort());
  });
});
