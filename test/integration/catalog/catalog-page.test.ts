import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { CatalogDiff, compareCatalog, formatStale, generateCatalog } from "../../../platform/catalog";
import { PROJECT_ROOT, projectCatalog } from "../../../commands/project-catalog";
import { validate, type ValidTopology } from "../../../platform/model";
import { topology } from "../../../topology";
import { validInvariantTopology } from "../../unit/catalog/invariant-topology";
import { expectedNodesOf, launchChromium } from "../../support/browser";

/**
 * The committed page, opened from disk in headless Chromium: it must draw the topology with no
 * console error and fetch nothing. Debian's `chromium` is required (never skipped): it is the
 * browser this repository can install without a registry of browser builds.
 */
const PAGE = path.join(PROJECT_ROOT, "catalog", "index.html");
const SCREENSHOT = path.join(PROJECT_ROOT, "test-results", "catalog.png");
const TOPOLOGY_MD = path.join(PROJECT_ROOT, "catalog", "topology.md");
const MERMAID = require.resolve("mermaid/dist/mermaid.min.js");

interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;


/** One edge, so one label, per publishing context, subscription, workflow start, correlator and invariants checker. */
const expectedEdgesOf = (valid: ValidTopology) =>
  valid.contexts.length +
  valid.consumers.reduce((sum, g) => sum + new Set(g.on.map((e) => e.context)).size, 0) +
  valid.consumers.filter((g) => g.startWorkflow || g.correlates || g.checks).length;

describe("catalog/index.html", () => {
  it("is the page the model generates", () => {
    const diff = compareCatalog({ "index.html": projectCatalog()["index.html"] }, path.dirname(PAGE));
    if (!CatalogDiff.inSync(diff)) throw new Error(`${formatStale(diff, "catalog").join("\n")}\nRun npm run catalog and commit catalog/.`);
  });
});

describe("catalog/index.html in headless Chromium", () => {
  const valid = validate(topology, { stack: "dev" });
  const expectedNodes = expectedNodesOf(valid);
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("renders the diagram as an SVG with one node per context, topic and group, without errors or requests", async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
    page.on("request", (request) => requests.push(request.url()));

    // Act
    await page.goto(pathToFileURL(PAGE).href, { waitUntil: "load" });
    const svgs = await page.locator("svg#topology").count();
    const nodes = await page.locator("svg#topology [data-node]").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { key: element.getAttribute("data-node")!, text: element.textContent ?? "", box: { x: box.x, y: box.y, width: box.width, height: box.height } };
      }),
    );
    const labels = await page.locator("svg#topology .label rect").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { x: box.x, y: box.y, width: box.width, height: box.height };
      }),
    );
    const eventTables = await page.locator("article.event table thead").allTextContents();
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();

    // Assess
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith("file:") && !url.startsWith("data:"))).toEqual([]);
    expect(svgs).toBe(1);
    expect(nodes.map((n) => n.key)).toEqual(expectedNodes);
    for (const node of nodes) {
      expect(node.text).toContain(node.key.slice(node.key.indexOf(":") + 1));
      expect(node.box.width).toBeGreaterThan(0);
      expect(node.box.height).toBeGreaterThan(0);
    }
    expect(labels).toHaveLength(expectedEdgesOf(valid));
    // A tidy drawing: no node sits on another, no edge label hides another.
    for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) expect([a.key, b.key, overlaps(a.box, b.box)]).toEqual([a.key, b.key, false]);
    for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    expect(eventTables).toHaveLength(valid.events.length);
    for (const header of eventTables) expect(header).toBe("ProducerSchemaConsumers");
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  // The page draws its own SVG; this proves the Mermaid source in topology.md (what GitHub and
  // other Markdown viewers render) is valid Mermaid and draws the same nodes, with Mermaid itself.
  /** Renders a topology.md's Mermaid block with Mermaid itself: the node ids it drew, its edges, any error. */
  async function renderMermaid(markdown: string) {
    const source = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1];
    if (!source) throw new Error("topology.md has no ```mermaid block");
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    await page.setContent("<!doctype html><html><body><div id=out></div></body></html>");
    await page.addScriptTag({ path: MERMAID });

    const svg = await page.evaluate(async (text) => {
      const mermaid = (globalThis as unknown as { mermaid: { initialize(c: object): void; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
      mermaid.initialize({ startOnLoad: false });
      return (await mermaid.render("topology", text)).svg;
    }, source);
    await page.setContent(`<!doctype html><html><body>${svg}</body></html>`);
    const ids = await page.locator("svg g.node").evaluateAll((nodes) => nodes.map((node) => /^(?:topology-)?flowchart-(.+)-\d+$/.exec(node.id)?.[1] ?? node.id));
    const edges = await page.locator("svg path.flowchart-link").count();
    await page.close();
    return { ids, edges, errors };
  }
  const mermaidIdOf = (key: string) => key.replace(":", "_").replace(/[.-]/g, "_");

  it("topology.md's Mermaid source renders with Mermaid to the same nodes and edges", async () => {
    // Act
    const drawn = await renderMermaid(fs.readFileSync(TOPOLOGY_MD, "utf8"));

    // Assess
    expect(drawn.errors).toEqual([]);
    expect(drawn.ids).toEqual(expectedNodes.map(mermaidIdOf));
    expect(drawn.edges).toBe(expectedEdgesOf(valid));
  });

  // The example domain changes; a topology of the tests' own always has invariants, a failure
  // milestone, a workflow start, so the violations column is drawn whatever topology.ts holds.
  it("draws a topology with invariants with the violations topic as one more node, its edge labelled, nothing overlapping", async () => {
    // Prepare
    const fixture = validInvariantTopology();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-catalog-page-"));
    const file = path.join(dir, "index.html");
    const files = generateCatalog(fixture, { stack: "dev" });
    fs.writeFileSync(file, files["index.html"]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });

    try {
      // Act
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const boxes = (selector: string) =>
        page.locator(selector).evaluateAll((elements) =>
          elements.map((element) => {
            const box = element.getBoundingClientRect();
            return { key: element.getAttribute("data-node") ?? "", x: box.x, y: box.y, width: box.width, height: box.height };
          }),
        );
      const nodes = await boxes("svg#topology [data-node]");
      const labels = await boxes("svg#topology .label rect");
      const reports = await page.locator("svg#topology .edge-reports .label text").allTextContents();
      const invariantRows = await page.locator("#invariants tbody tr").count();
      const failureMarks = await page.locator("article.event p.failure").count();
      const drawn = await renderMermaid(files["topology.md"]);

      // Assess
      expect(errors).toEqual([]);
      expect(nodes.map((n) => n.key)).toEqual(expectedNodesOf(fixture));
      expect(nodes.map((n) => n.key).filter((k) => k.startsWith("violations:"))).toEqual(["violations:invariants.violations"]);
      expect(labels).toHaveLength(expectedEdgesOf(fixture));
      expect(reports).toEqual(["order-settles-once", "no-dispatch-after-refund"]);
      for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) expect([a.key, b.key, overlaps(a, b)]).toEqual([a.key, b.key, false]);
      for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
      expect(invariantRows).toBe(2);
      expect(failureMarks).toBe(1);
      expect(drawn.errors).toEqual([]);
      expect(drawn.ids).toEqual(expectedNodesOf(fixture).map(mermaidIdOf));
      expect(drawn.edges).toBe(expectedEdgesOf(fixture));
    } finally {
      await page.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
