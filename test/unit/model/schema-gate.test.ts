import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as z from "zod";
import { defineConsumer, defineContext, defineEvent, defineInvariant, defineTopology, defineWorkflow, milestone, succeed, validate } from "../../../platform/model";
import {
  blockingMessage,
  EventStatus,
  gateSummary,
  LOCK_FILE,
  lockIsCurrent,
  readLock,
  runGate,
  type SchemaLock,
  schemaGate,
  SchemaGateError,
  serializeLock,
} from "../../../platform/model/schema-evolution";
import { topology } from "../../../topology";
import { validSideBySide } from "./side-by-side-topology";

const THIS_FILE = "test/unit/model/schema-gate.test.ts";
const TODAY = "2025-03-14";

type Fields = z.ZodRawShape;

/** The orders context with OrderPlaced's data as given, read by two groups and an invariant (the `invariants` group). */
function ordersTopology(placed: Fields, options: { version?: number; readers?: boolean } = {}) {
  const OrderPlaced = defineEvent({ name: "OrderPlaced", version: options.version ?? 1, schema: z.object(placed) });
  const OrderCancelled = defineEvent({ name: "OrderCancelled", schema: z.object({ orderId: z.string() }) });
  const orders = defineContext({
    name: "orders",
    events: [OrderPlaced, OrderCancelled],
    workflow: defineWorkflow({
      StartAt: "Placed",
      States: {
        Placed: milestone(OrderPlaced, { key: "$.orderId", next: "Cancelled" }),
        Cancelled: milestone(OrderCancelled, { key: "$.orderId", next: "Done" }),
        Done: succeed(),
      },
    }),
  });
  const placedEvent = orders.eventList[0]!;
  const readers = options.readers ?? true;
  return validate(
    defineTopology({
      contexts: [orders],
      consumers: readers ? [defineConsumer({ name: "invoice-order", on: [placedEvent] }), defineConsumer({ name: "notify-customer", on: [placedEvent, orders.eventList[1]!] })] : [],
      invariants: readers ? [defineInvariant({ name: "cancel-after-place", key: "$.orderId", after: placedEvent, never: [orders.eventList[1]!] })] : [],
    }),
    { checkFiles: false },
  );
}

const RELEASED = { orderId: z.string(), total: z.number(), note: z.string().optional() };
const released = (): SchemaLock => runGate(ordersTopology(RELEASED), undefined).lock;

describe("the schema gate", () => {
  it("blocks a breaking change, naming the event, each change, every reader and both ways forward", () => {
    // Prepare: total renamed to amount, and a new required currency
    const changed = ordersTopology({ orderId: z.string(), amount: z.number(), currency: z.string(), note: z.string().optional() });

    // Act
    const result = runGate(changed, released());

    // Assess
    expect(result.blocking.map((v) => v.type)).toEqual(["orders.OrderPlaced"]);
    expect(blockingMessage(result.blocking[0]!)).toEqual([
      "Schema gate: orders.OrderPlaced (v1) changed in ways that can break its readers:",
      "  - data.total: field removed (renamed to `amount`?)",
      "  - data.amount: new required field",
      "  - data.currency: new required field",
      "  Read by: invoice-order, notify-customer, invariants",
      "  Two ways forward:",
      `    1. Publish it side by side: declare OrderPlaced with version: 2 and the new schema next to v1 (as released) in ${THIS_FILE}, publish both from the workflow, move each reader to the version it reads, and remove v1 once none reads it and its records have aged out of the topic.`,
      '    2. Accept the change with a recorded reason: npm run validate -- --accept orders.OrderPlaced --reason "<why no reader breaks>"',
    ]);
    // The blocked event keeps its released baseline.
    expect(result.lock["orders.OrderPlaced"]).toEqual(released()["orders.OrderPlaced"]);
  });

  it("passes a change no reader can notice and updates the baseline", () => {
    // Prepare
    const changed = ordersTopology({ ...RELEASED, total: z.number().describe("In cents."), channel: z.enum(["web", "store"]).optional() });

    // Act
    const result = runGate(changed, released());

    // Assess
    expect(result.blocking).toEqual([]);
    expect(result.verdicts.map((v) => [v.type, v.status, v.changes.map((c) => `${c.path}: ${c.message}`)])).toEqual([
      ["orders.OrderPlaced", EventStatus.Changed, ["data.total: description changed", "data.channel: new optional field"]],
      ["orders.OrderCancelled", EventStatus.Unchanged, []],
    ]);
    expect((result.lock["orders.OrderPlaced"]!.schema as { properties: object }).properties).toHaveProperty("channel");
  });

  it("blocks an event with readers that is no longer declared (a version bumped in place), and lets one without readers go", () => {
    // Prepare
    const bumped = ordersTopology(RELEASED, { version: 2 });
    const unread = runGate(ordersTopology(RELEASED, { readers: false }), undefined).lock;

    // Act
    const blocked = runGate(bumped, released());
    const free = runGate(ordersTopology(RELEASED, { version: 2, readers: false }), unread);

    // Assess
    expect(blockingMessage(blocked.blocking[0]!)).toEqual([
      "Schema gate: orders.OrderPlaced (v1) is no longer declared, but groups read it: its records still in the topic would reach no one:",
      "  - event no longer declared (orders.OrderPlaced.v2 is declared: was the version changed in place?)",
      "  Read by: invariants, invoice-order, notify-customer",
      "  Two ways forward:",
      `    1. Publish it side by side: declare OrderPlaced v1 again, as released, next to v2 in ${THIS_FILE}, publish both from the workflow, move each reader to the version it reads, and remove v1 once none reads it and its records have aged out of the topic.`,
      '    2. Accept the change with a recorded reason: npm run validate -- --accept orders.OrderPlaced --reason "<why no reader breaks>"',
    ]);
    expect(free.blocking).toEqual([]);
    expect(Object.keys(free.lock)).toEqual(["orders.OrderPlaced.v2", "orders.OrderCancelled"]);
  });

  it("advises the next free version when another version is already declared", () => {
    // Prepare: v1 and v2 declared side by side; v1's baseline had a field it no longer has
    const valid = validSideBySide();
    const lock = runGate(valid, undefined).lock;
    const v1 = lock["orders.OrderPlaced"]!;
    const schema = v1.schema as { properties: Record<string, unknown> };
    const baseline: SchemaLock = { ...lock, "orders.OrderPlaced": { ...v1, schema: { ...schema, properties: { ...schema.properties, legacy: { type: "string" } } } } };

    // Act
    const result = runGate(valid, baseline);

    // Assess
    expect(result.verdicts.map((v) => [v.type, v.otherVersions])).toEqual([
      ["orders.OrderPlaced", [2]],
      ["orders.OrderPlaced.v2", [1]],
    ]);
    expect(blockingMessage(result.blocking[0]!)[4]).toBe(
      "    1. Publish it side by side: declare OrderPlaced with version: 3 (v2 is already declared) and the new schema next to v1 (as released) in test/unit/model/side-by-side-topology.ts, publish both from the workflow, move each reader to the version it reads, and remove v1 once none reads it and its records have aged out of the topic.",
    );
  });

  it("keeps an accepted removal in the lock as a tombstone with its reason, compares nothing against it, and takes the event declared again as new", () => {
    // Prepare: OrderPlaced's version bumped in place, its readers moved along
    const bumped = ordersTopology(RELEASED, { version: 2 });
    const reason = "every reader moved to v2 and v1's records have aged out";

    // Act
    const accepted = runGate(bumped, released(), { accept: { type: "orders.OrderPlaced", reason }, today: TODAY });
    const next = runGate(bumped, accepted.lock);
    const { "orders.OrderPlaced.v2": _v2, ...tombstoned } = accepted.lock;
    const again = runGate(ordersTopology({ orderId: z.string() }), tombstoned);

    // Assess
    const tombstone = accepted.lock["orders.OrderPlaced"]!;
    expect([tombstone.removed, tombstone.version, tombstone.accepted]).toEqual([
      true,
      1,
      [{ reason, changes: ["orders.OrderPlaced: event no longer declared (orders.OrderPlaced.v2 is declared: was the version changed in place?)"], date: TODAY }],
    ]);
    expect(gateSummary(accepted, LOCK_FILE, true, true)).toContain("  - orders.OrderPlaced (v1): no longer declared; removal accepted (the lock keeps it as removed, with the reason)");
    expect([next.blocking, next.verdicts.map((v) => v.type), next.lock]).toEqual([[], ["orders.OrderPlaced.v2", "orders.OrderCancelled"], accepted.lock]);
    // Declared again with another schema: a new event, no break against the tombstone; the record stays.
    expect(again.blocking).toEqual([]);
    expect(again.verdicts[0]).toMatchObject({ type: "orders.OrderPlaced", status: EventStatus.Added, changes: [] });
    expect(again.lock["orders.OrderPlaced"]).toMatchObject({ readers: ["invariants", "invoice-order", "notify-customer"], accepted: tombstone.accepted });
    expect(again.lock["orders.OrderPlaced"]!.removed).toBeUndefined();
  });

  it("passes a breaking change of an event no group reads, saying what a group subscribed later would meet", () => {
    // Prepare
    const unread = runGate(ordersTopology(RELEASED, { readers: false }), undefined).lock;

    // Act
    const result = runGate(ordersTopology({ orderId: z.string(), note: z.string().optional() }, { readers: false }), unread);

    // Assess
    expect(result.blocking).toEqual([]);
    expect(gateSummary(result, LOCK_FILE, true, true)).toEqual([
      "Schema gate: no change can break a reader; schemas.lock.json updated (commit it):",
      "  - orders.OrderPlaced (v1): data.total: field removed (breaking, but no group reads it now, so it may change; a group subscribed later, starting from the oldest record, would dead-letter the old records still in the topic, kept for the topic's retention)",
    ]);
  });

  it("records an accepted change with its reason, and passes it from then on", () => {
    // Prepare
    const changed = ordersTopology({ orderId: z.string(), total: z.number() });

    // Act
    const accepted = runGate(changed, released(), { accept: { type: "orders.OrderPlaced", reason: "  no reader reads note  " }, today: TODAY });
    const next = runGate(changed, accepted.lock);

    // Assess
    expect(accepted.blocking).toEqual([]);
    expect(accepted.lock["orders.OrderPlaced"]!.accepted).toEqual([{ reason: "no reader reads note", changes: ["data.note: field removed"], date: TODAY }]);
    expect(next.blocking).toEqual([]);
    expect(next.verdicts[0]!.status).toBe(EventStatus.Unchanged);
    expect(next.lock).toEqual(accepted.lock);
  });

  it.each([
    [undefined, '--accept orders.OrderPlaced needs a reason: add --reason "<why no reader breaks>"; schemas.lock.json records it with the changes.'],
    ["   ", '--accept orders.OrderPlaced needs a reason: add --reason "<why no reader breaks>"; schemas.lock.json records it with the changes.'],
  ])("refuses an acceptance without a reason (%p)", (reason, message) => {
    // Act
    const accept = () => runGate(ordersTopology({ orderId: z.string() }), released(), { accept: { type: "orders.OrderPlaced", reason } });

    // Assess
    expect(accept).toThrow(new SchemaGateError(message));
  });

  it.each([
    ["orders.OrderCancelled", "--accept orders.OrderCancelled: orders.OrderCancelled has no breaking change. Fix: leave out --accept; run npm run validate to see what the gate blocks."],
    ["orders.OrderShipped", "--accept orders.OrderShipped: orders.OrderShipped is not an event of the topology or of the baseline. Fix: leave out --accept; run npm run validate to see what the gate blocks."],
  ])("refuses to accept %s, which has nothing to accept", (type, message) => {
    // Act
    const accept = () => runGate(ordersTopology({ orderId: z.string() }), released(), { accept: { type, reason: "why" } });

    // Assess
    expect(accept).toThrow(new SchemaGateError(message));
  });

  it("treats a version published side by side as a new event, and the old one's moved reader as no break", () => {
    // Prepare: before, both groups read version 1
    const before = runGate(ordersTopology({ orderId: z.string(), totalCents: z.number().int() }, { readers: false }), undefined).lock;
    const baseline: SchemaLock = { "orders.OrderPlaced": { ...before["orders.OrderPlaced"]!, readers: ["invoice", "ledger"] } };

    // Act
    const result = runGate(validSideBySide(), baseline);

    // Assess
    expect(result.blocking).toEqual([]);
    expect(result.verdicts.map((v) => [v.type, v.status, v.readers])).toEqual([
      ["orders.OrderPlaced", EventStatus.Changed, ["invoice", "ledger"]],
      ["orders.OrderPlaced.v2", EventStatus.Added, ["ledger"]],
    ]);
    expect(result.lock["orders.OrderPlaced"]!.readers).toEqual(["invoice"]);
    expect(result.lock["orders.OrderPlaced.v2"]).toMatchObject({ version: 2, dataschema: "urn:ensemble:schema:orders.OrderPlaced:v2", readers: ["ledger"] });
  });
});

describe("the schema lock file", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-lock-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is written with sorted keys, two spaces and a final newline, the same on every run", () => {
    // Act
    const text = serializeLock({ "b.B": { version: 1, dataschema: "urn:b", schema: { type: "object", properties: {} }, readers: [] }, "a.A": { version: 1, dataschema: "urn:a", schema: {}, readers: ["x"] } });

    // Assess
    expect(text).toBe(
      '{\n  "a.A": {\n    "dataschema": "urn:a",\n    "readers": [\n      "x"\n    ],\n    "schema": {},\n    "version": 1\n  },\n  "b.B": {\n    "dataschema": "urn:b",\n    "readers": [],\n    "schema": {\n      "properties": {},\n      "type": "object"\n    },\n    "version": 1\n  }\n}\n',
    );
  });

  it("reads back a tombstone (an accepted removal) and --check keeps it", () => {
    // Prepare
    const lockFile = path.join(dir, LOCK_FILE);
    const bumped = ordersTopology(RELEASED, { version: 2 });
    fs.writeFileSync(lockFile, serializeLock(released()));

    // Act
    const accepted = schemaGate(bumped, { lockFile, shownAs: LOCK_FILE, accept: { type: "orders.OrderPlaced", reason: "moved to v2" }, today: TODAY });
    const checked = schemaGate(bumped, { lockFile, shownAs: LOCK_FILE, check: true });

    // Assess
    expect([accepted.ok, checked.ok]).toEqual([true, true]);
    expect(readLock(lockFile)!["orders.OrderPlaced"]).toMatchObject({ removed: true, accepted: [{ reason: "moved to v2", date: TODAY }] });
  });

  it("--check fails on a stale baseline, naming the fix, and passes on a current one", () => {
    // Prepare: a baseline from before OrderCancelled existed
    const lockFile = path.join(dir, LOCK_FILE);
    const { "orders.OrderCancelled": _cancelled, ...stale } = released();
    fs.writeFileSync(lockFile, serializeLock(stale));
    const current = ordersTopology(RELEASED);

    // Act
    const failing = schemaGate(current, { lockFile, shownAs: LOCK_FILE, check: true });
    const updating = schemaGate(current, { lockFile, shownAs: LOCK_FILE });
    const passing = schemaGate(current, { lockFile, shownAs: LOCK_FILE, check: true });

    // Assess
    expect(failing).toEqual({
      ok: false,
      wrote: false,
      lines: ["Schema gate: schemas.lock.json is out of date:", "  - orders.OrderCancelled (v1): new event", "Fix: run npm run validate (it updates schemas.lock.json) and commit schemas.lock.json."],
    });
    expect(updating).toEqual({ ok: true, wrote: true, lines: ["Schema gate: no change can break a reader; schemas.lock.json updated (commit it):", "  - orders.OrderCancelled (v1): new event"] });
    expect(passing).toEqual({ ok: true, wrote: false, lines: ["Schema gate: 2 events match schemas.lock.json."] });
  });

  it("committed at the project root, matches the topology (run npm run validate and commit it when this fails)", () => {
    // Prepare
    const lockFile = path.resolve(__dirname, "../../..", LOCK_FILE);

    // Act
    const result = runGate(validate(topology), readLock(lockFile));

    // Assess
    expect(result.blocking.map((v) => v.type)).toEqual([]);
    expect(lockIsCurrent(lockFile, result.lock)).toBe(true);
  });
});

describe("accepting one of two breaking changes", () => {
  it("records that acceptance while the other still blocks, so each can be accepted in turn", () => {
    // Prepare: both events of the baseline lose a field
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-lock-"));
    const lockFile = path.join(dir, LOCK_FILE);
    const baseline = released();
    const withLegacy = (type: string) => {
      const entry = baseline[type]!;
      const schema = entry.schema as { properties: Record<string, unknown> };
      return { ...entry, schema: { ...schema, properties: { ...schema.properties, legacy: { type: "string" } } } };
    };
    fs.writeFileSync(lockFile, serializeLock({ "orders.OrderPlaced": withLegacy("orders.OrderPlaced"), "orders.OrderCancelled": withLegacy("orders.OrderCancelled") }));
    const current = ordersTopology(RELEASED);
    try {
      // Act
      const first = schemaGate(current, { lockFile, shownAs: LOCK_FILE, accept: { type: "orders.OrderPlaced", reason: "never set" }, today: TODAY });
      const second = schemaGate(current, { lockFile, shownAs: LOCK_FILE, accept: { type: "orders.OrderCancelled", reason: "never set" }, today: TODAY });

      // Assess
      expect([first.ok, first.wrote, first.lines[0], first.lines[2]]).toEqual([
        false,
        true,
        "Schema gate: recorded the acceptance of orders.OrderPlaced in schemas.lock.json; other events still block:",
        "Schema gate: orders.OrderCancelled (v1) changed in ways that can break its readers:",
      ]);
      expect([second.ok, second.wrote]).toEqual([true, true]);
      expect(Object.values(readLock(lockFile)!).map((entry) => entry.accepted)).toEqual([
        [{ reason: "never set", changes: ["data.legacy: field removed"], date: TODAY }],
        [{ reason: "never set", changes: ["data.legacy: field removed"], date: TODAY }],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
