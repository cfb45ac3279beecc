import type { DemoResult, Snapshot } from "../../../platform/local/demo";
import { liveView, renderSnapshot, renderSummary } from "../../../platform/local/view";

const snapshot = (elapsedMs: number, overrides: Partial<Snapshot> = {}): Snapshot => ({
  elapsedMs,
  started: 12,
  planned: 20,
  contexts: [
    { name: "orders", running: 3, succeeded: 8, failed: 1, byState: { Reserve: 1, Charge: 2 } },
    { name: "shipping", running: 0, succeeded: 7, failed: 0, byState: {} },
  ],
  milestones: { "shipping.ShipmentScheduled": 7, "orders.OrderPlaced": 8 },
  groups: [
    { name: "notify-customer", expected: 9, delivered: 9, failed: 0, filtered: 4, deadLettered: 0, lag: 0, running: true },
    { name: "audit-archive", expected: 16, delivered: 5, failed: 2, filtered: 0, deadLettered: 1, lag: 11, running: false },
  ],
  ...overrides,
});

/** A stand-in for stdout: what was written, and whether it is a terminal. */
function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, out: { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream };
}

describe("the live view", () => {
  it("shows executions by state, milestones by type and each group's progress", () => {
    expect(renderSnapshot(snapshot(3456), "orders")).toEqual([
      "Ensemble local runtime — 3.5 s — started 12/20 orders",
      "",
      "context     running  succeeded  failed  running by state",
      "orders            3          8       1  Charge:2 Reserve:1",
      "shipping          0          7       0  ",
      "",
      "milestones published",
      "  orders.OrderPlaced                  8",
      "  shipping.ShipmentScheduled          7",
      "",
      "consumer group          delivered  failed  filtered  dead-lettered    lag",
      "notify-customer               9/9       0         4              0      0",
      "audit-archive                5/16       2         0              1     11  (stopped)",
    ]);
  });

  it("ends with the figures and OK, or NOT OK and each problem", () => {
    const result = (ok: boolean, problems: string[]): DemoResult => ({ ok, wallMs: 2000, published: 15, deliveries: 14, problems, last: snapshot(2000), endStates: {}, violations: [] });

    const ok = renderSummary(result(true, []));
    const notOk = renderSummary(result(false, ["timed out after 2000 ms", "audit-archive received 5 of 16 events"]));

    expect(ok.slice(0, 3)).toEqual(["", "Summary", "context     running  succeeded  failed  running by state"]);
    expect(ok.slice(-3)).toEqual([
      "15 events published, 14 deliveries in 2.0 s (8 events/s published, 7 deliveries/s)",
      "invariants: every one holds for every key",
      "OK: every execution ended as expected; every key's flow ended as expected with every invariant holding; every milestone reached every subscribed group; nothing was dead-lettered.",
    ]);
    expect(notOk.slice(-3)).toEqual(["NOT OK:", "  - timed out after 2000 ms", "  - audit-archive received 5 of 16 events"]);
  });

  it("redraws in place on a terminal: clears each line, and moves up over the previous frame", () => {
    const { written, out } = stream(true);
    const view = liveView(out);

    view(snapshot(250));
    view(snapshot(500));

    const lines = renderSnapshot(snapshot(250)).length;
    expect(written).toHaveLength(2);
    expect(written[0]).toBe(`${renderSnapshot(snapshot(250)).map((l) => `\x1b[2K${l}`).join("\n")}\n`);
    expect(written[1]).toBe(`\x1b[${lines}F${renderSnapshot(snapshot(500)).map((l) => `\x1b[2K${l}`).join("\n")}\n`);
  });

  it("prints one plain line every 2 s otherwise (CI logs), without escape codes", () => {
    const { written, out } = stream(false);
    const view = liveView(out);

    for (const ms of [250, 1500, 2000, 3000, 3999, 4100]) view(snapshot(ms));

    expect(written).toEqual([
      "[2 s] started 12/20; notify-customer 9/9 lag 0, audit-archive 5/16 lag 11\n",
      "[4 s] started 12/20; notify-customer 9/9 lag 0, audit-archive 5/16 lag 11\n",
    ]);
  });
});
