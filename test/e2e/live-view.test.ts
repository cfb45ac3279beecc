import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { Browser } from "playwright-core";
import { demoScenario } from "../../contexts/orders/demo";
import { type Snapshot, runDemo } from "../../platform/local/demo";
import { LocalRuntime } from "../../platform/local/runtime";
import { LocalTraces } from "../../platform/local/traces";
import { type LiveView, listen, serveLive } from "../../platform/live-view";
import { PoisonReason, validate } from "../../platform/model";
import { toCloudEvent, toKafkaRecord } from "../../platform/runtime";
import { topology } from "../../topology";
import { expectedNodesOf, launchChromium } from "../support/browser";

jest.setTimeout(150_000);

// Functions below run in the page. The project compiles without the DOM library, so this file
// names the little of it they use (module-scoped: nothing else sees these).
declare const document: {
  readonly body: { readonly dataset: Record<string, string | undefined> };
  querySelector(selector: string): { readonly textContent: string | null } | null;
  querySelectorAll(selector: string): ArrayLike<unknown>;
  getElementById(id: string): { readonly dataset: Record<string, string | undefined> } | null;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean }): void;
}
declare const window: { scrollTo(x: number, y: number): void };

const SCREENSHOT = path.resolve(__dirname, "../../test-results/live-view.png");

/** The page's `data-count` values a snapshot settles: what the summary says, not what still moves once it is OK (lags, filtered records). */
const settledCounts = (snapshot: Snapshot): Record<string, string> =>
  Object.fromEntries(
    [
      ["run:started", snapshot.started],
      ["run:planned", snapshot.planned],
      ...snapshot.contexts.flatMap((c) => [
        [`context:${c.name}:running`, c.running],
        [`context:${c.name}:succeeded`, c.succeeded],
        [`context:${c.name}:failed`, c.failed],
      ]),
      ...Object.entries(snapshot.milestones).map(([type, n]) => [`event:${type}`, n]),
      ...snapshot.groups.flatMap((g) => [
        [`group:${g.name}:delivered`, g.delivered],
        [`group:${g.name}:expected`, g.expected],
        [`group:${g.name}:failed`, g.failed],
        [`group:${g.name}:dead-lettered`, g.deadLettered],
      ]),
    ].map(([key, value]) => [key, String(value)]),
  );

/** The page's `data-count` values for these keys, read at once, in the browser. */
const countsOnPage = (keys: readonly string[]) => Object.fromEntries(keys.map((key) => [key, document.querySelector(`[data-count="${key}"]`)?.textContent ?? "(missing)"]));

// The page `npm start` serves, on a runtime playing the demo on the shared broker: opened in
// headless Chromium before the demo starts, followed while it runs, read again once it is over.
describe("the live view of a local run, in headless Chromium", () => {
  const stack = `live-${randomUUID().slice(0, 6)}`;
  const brokers = process.env.KAFKA_BROKERS!.split(",");
  const kafka = new Kafka({ clientId: stack, brokers, logLevel: logLevel.NOTHING });
  const traces = new LocalTraces();
  const valid = validate(topology, { stack });
  // LATEST: the broker is shared with other test files, whose events stay in the same topics.
  const runtime = new LocalRuntime({ topology: valid, stack, kafka, brokers, startingPosition: "LATEST" });
  const scenario = demoScenario(40, stack);
  let view: LiveView;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    await runtime.start();
    // What commands/start.ts serves, on a free port.
    view = await serveLive(await listen({ port: 0 }), { runtime, kafka, traces, topology: valid, catalog: { stack }, executions: "orders" });
  });

  afterAll(async () => {
    await browser?.close();
    await view?.close();
    await runtime.stop();
    await traces.stop();
  });

  it("draws every node, counts while the demo runs, ends on the demo's summary and shows a key's flow", async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(view.url, { waitUntil: "load" });
    await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) > 0);
    const nodes = await page.locator("svg#topology [data-node]").evaluateAll((elements) => elements.map((element) => element.getAttribute("data-node")));
    // Every value the page shows for placed orders, as it renders each push.
    const seen: string[] = [];
    await page.exposeFunction("recordPlaced", (value: string) => seen.push(value));
    await page.evaluate(() => {
      const record = (globalThis as unknown as { recordPlaced: (value: string) => void }).recordPlaced;
      const placed = () => document.querySelector('[data-count="event:orders.OrderPlaced"]')?.textContent ?? "0";
      new MutationObserver(() => record(placed())).observe(document.querySelector("#events tbody")!, { childList: true });
    });

    // Act
    // As commands/start.ts does: the page shows the demo's own snapshots while it runs.
    const result = await runDemo(runtime, scenario, { rate: 10, timeoutMs: 120_000, onSnapshot: (snapshot) => view.show(snapshot) });
    const seenWhileRunning = [...new Set(seen)];
    const expected = settledCounts(result.last);
    const notify = result.last.groups.find((g) => g.name === "notify-customer")!;
    const settledBadge = `${notify.delivered}/${notify.expected} · dlq 0 · lag 0`;
    // The page catches up on its next pushes (a group counts a delivery before it commits the
    // offset, so its lag reaches 0 on a later poll): wait for both, bounded, then compare.
    await page
      .waitForFunction(
        ([wanted, badgeText]) =>
          Object.entries(wanted).every(([key, value]) => document.querySelector(`[data-count="${key}"]`)?.textContent === value) &&
          document.querySelector('svg#topology [data-badge="group:notify-customer"] text')?.textContent === badgeText,
        [expected, settledBadge] as const,
        { timeout: 15_000 },
      )
      .catch(() => {});
    const shown = await page.evaluate(countsOnPage, Object.keys(expected));
    const badge = await page.locator('svg#topology [data-badge="group:notify-customer"] text').textContent();

    const order = scenario.executions.find((e) => e.outcome === "placed")!;
    const key = order.input.orderId;
    await page.fill("#key-input", key);
    await page.click("#key-form button");
    await page.waitForFunction((wanted) => document.getElementById("key")?.dataset.key === wanted, key);
    const keyEvents = await page.locator("#key-events tbody tr").evaluateAll((rows) => rows.map((row) => ({ type: row.getAttribute("data-type"), id: row.cells[3]!.textContent })));
    const keySpans = await page.locator("#key-spans li").evaluateAll((items) => items.map((item) => item.getAttribute("data-span")));
    const flowSpans = traces.flowOf(key).length;

    // After the demo (its verdict stands): one OrderPlaced whose data fails its schema, which
    // every group subscribed to it dead-letters; the page lists one row per group.
    const orderPlaced = valid.events.find((e) => e.type === "orders.OrderPlaced")!;
    const poison = toCloudEvent({ event: orderPlaced, key: `${stack}-poison`, data: { orderId: `${stack}-poison` }, executionId: `arn:aws:states:local:000000000000:execution:${stack}-orders:poison`, state: "Poison" });
    const subscribed = valid.consumers.filter((g) => g.on.some((e) => e.type === orderPlaced.type)).map((g) => g.name);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: valid.topics.find((t) => t.purpose === "events" && t.owner === "orders")!.name, acks: -1, messages: [toKafkaRecord(poison)] });
    await producer.disconnect();
    // The rows come from the .dlq topics, the counts from the groups' invocations: wait for both.
    await page
      .waitForFunction(
        (groups) =>
          document.querySelectorAll("#dead-letters tbody tr").length >= groups.length &&
          groups.every((name) => document.querySelector(`[data-count="group:${name}:dead-lettered"]`)?.textContent === "1"),
        subscribed,
        { timeout: 20_000 },
      )
      .catch(() => {});
    const deadLetterRows = await page
      .locator("#dead-letters tbody tr")
      .evaluateAll((rows) => rows.map((row) => ({ group: row.cells[1]!.textContent, reason: row.cells[2]!.textContent, events: row.cells[4]!.textContent })));
    const deadLettered = await page.evaluate(countsOnPage, subscribed.map((name) => `group:${name}:dead-lettered`));
    const dlqBadges = await Promise.all(subscribed.map((name) => page.locator(`svg#topology [data-badge="group:${name}"] text`).textContent()));
    await page.evaluate(() => window.scrollTo(0, 0));
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();

    // Assess
    expect(result.problems).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(view.url) && !url.startsWith("data:"))).toEqual([]);
    expect(nodes).toEqual(expectedNodesOf(valid));
    // It changed at least twice while the demo ran, counting up to what the demo published.
    expect(seenWhileRunning.length).toBeGreaterThanOrEqual(3);
    expect(seenWhileRunning.map(Number)).toEqual([...seenWhileRunning.map(Number)].sort((a, b) => a - b));
    expect(shown).toEqual(expected);
    expect(expected["event:orders.OrderPlaced"]).toBe(String(scenario.milestones["orders.OrderPlaced"]));
    expect(badge).toBe(settledBadge);
    // The order's events across contexts, in publish order, exactly the scenario's for it.
    const published = runtime.published.filter((e) => keyEvents.some((k) => k.id === e.eventId));
    expect(keyEvents.map((e) => e.type)).toEqual(published.map((e) => e.type));
    expect(keyEvents[0]!.type).toBe("orders.OrderPlaced");
    const types: Record<string, number> = {};
    for (const event of keyEvents) types[event.type!] = (types[event.type!] ?? 0) + 1;
    expect(types).toEqual(order.events);
    expect(keySpans).toHaveLength(flowSpans);
    expect(keySpans).toEqual(expect.arrayContaining(["execution orders", "execution shipping", "execution billing", "complete wait AwaitDispatch", "publish billing.InvoiceIssued"]));
    expect(subscribed.length).toBeGreaterThan(0);
    expect(deadLetterRows.map((row) => row.group).sort()).toEqual([...subscribed].sort());
    for (const row of deadLetterRows) {
      expect(row.reason).toBe(PoisonReason.SchemaInvalid);
      expect(row.events).toContain(poison.id);
    }
    expect(deadLettered).toEqual(Object.fromEntries(subscribed.map((name) => [`group:${name}:dead-lettered`, "1"])));
    expect(dlqBadges.every((text) => text?.includes("· dlq 1 ·"))).toBe(true);
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });
});
