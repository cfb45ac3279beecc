import * as fs from "node:fs";
import * as path from "node:path";
import { type CatalogOptions, catalogFacts, topologyGraph, topologySvg } from "../catalog";
import type { ValidTopology } from "../model";

/** The page's behaviour: plain browser JavaScript, served inline as it is (no build step). */
const SCRIPT = fs.readFileSync(path.join(__dirname, "page-script.js"), "utf8");

export interface PageOptions {
  readonly topology: ValidTopology;
  /** What the catalog needs to draw the topology as the stack deploys it (stack, config, partitions). */
  readonly catalog: CatalogOptions;
  /** What the demo starts, for the header ("orders"). @default "executions" */
  readonly executions?: string;
}

/** Text for HTML content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON inside a `<script>` element: `<` escaped so no value can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/**
 * `GET /`: one self-contained page. The topology is the catalog's own SVG, drawn from the same
 * validated model (every node keeps its `data-node`); the script fills the tables and the nodes'
 * badges from `/live` and looks keys up at `/keys/<key>`. Its Content-Security-Policy lets it
 * talk to this server only.
 */
export function livePage(options: PageOptions): string {
  const facts = catalogFacts(options.topology, options.catalog);
  const svg = topologySvg(topologyGraph(facts), { id: "topology" });
  // Which context each topic node carries events of, for its badge.
  const topics = Object.fromEntries(facts.contexts.map((c) => [c.topic, c.name]));
  const title = `${facts.info.title} live view — stack ${facts.stack}`;
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:">`,
    `<link rel="icon" href="data:,">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(facts.info.title)} <span class="muted">live view</span></h1>`,
    `<p class="meta">stack <code>${escapeHtml(facts.stack)}</code> · <span id="elapsed">0.0 s</span> · demo: started <b data-count="run:started">0</b>/<b data-count="run:planned">0</b> ${escapeHtml(options.executions ?? "executions")}<span id="over-http" hidden> · <b data-count="run:over-http">0</b> more started over HTTP</span></p>`,
    `<p id="connection" class="connection" data-state="connecting">connecting…</p>`,
    "</header>",
    "<main>",
    `<section id="diagram" class="card"><h2>Topology</h2>${svg.trimEnd()}</section>`,
    `<aside id="counts">`,
    card("contexts", "Executions by context", ["context", "running", "succeeded", "failed", "running by state"], { text: ["running by state"] }),
    card("groups", "Consumer groups", ["group", "delivered", "failed", "filtered", "DLQ", "lag", ""]),
    card("events", "Events published", ["type", "events"]),
    "</aside>",
    card("dead-letters", "Dead letters", ["time", "group", "reason", "detail", "events"], { text: ["group", "reason", "detail", "events"], before: `<p class="muted" id="dead-letters-total">none</p>` }),
    `<section id="key" class="card"><h2>A business key's flow</h2>`,
    `<form id="key-form"><input id="key-input" name="key" placeholder="a milestone's key, e.g. an order id" autocomplete="off" required><button type="submit">Show</button></form>`,
    `<p id="key-message" class="muted"></p>`,
    `<div class="flow"><table id="key-events"><thead><tr><th>+ms</th><th class="text">context</th><th class="text">event</th><th class="text">id</th></tr></thead><tbody></tbody></table>`,
    `<ul id="key-spans" class="spans"></ul></div>`,
    "</section>",
    "</main>",
    `<script type="application/json" id="topology-data">${scriptJson({ topics })}</script>`,
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** A titled table the script fills; `text` columns are left-aligned (the others hold numbers). */
function card(id: string, heading: string, columns: readonly string[], options: { text?: readonly string[]; before?: string } = {}): string {
  const head = columns.map((c) => `<th${options.text?.includes(c) ? ` class="text"` : ""}>${escapeHtml(c)}</th>`).join("");
  const before = options.before ?? "";
  return `<section class="card" id="${id}"><h2>${escapeHtml(heading)}</h2>${before}<table><thead><tr>${head}</tr></thead><tbody></tbody></table></section>`;
}

const CSS = [
  ":root{--ink:#17202b;--muted:#5f6b7a;--line:#dde3ea;--ok:#1e7f4f;--warn:#b26a00;--bad:#c5221f}",
  "*{box-sizing:border-box}",
  "body{margin:0;font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--ink);background:#f4f6f9}",
  "header{display:flex;align-items:baseline;gap:18px;padding:10px 18px;background:#fff;border-bottom:1px solid var(--line)}",
  "h1{font-size:18px;margin:0}h2{font-size:13px;margin:0 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}",
  ".muted{color:var(--muted);font-weight:normal}.meta{margin:0}",
  ".connection{margin:0 0 0 auto;padding:1px 8px;border-radius:9px;font-size:12px;background:#eee}",
  ".connection[data-state=live]{background:#e6f4ea;color:var(--ok)}.connection[data-state=reconnecting]{background:#fdecea;color:var(--bad)}",
  "main{display:grid;grid-template-columns:minmax(0,1fr) 450px;gap:12px;padding:12px 18px;align-items:start}",
  ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}",
  "#diagram svg{width:100%;height:auto;display:block}",
  "#counts{display:flex;flex-direction:column;gap:12px;min-width:0}",
  "#dead-letters,#key{grid-column:1/-1}",
  "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}",
  "th,td{text-align:right;padding:2px 5px;border-bottom:1px solid var(--line);white-space:nowrap}",
  "th:first-child,td:first-child,th.text{text-align:left}#dead-letters table:has(tbody:empty),#key-events:has(tbody:empty){display:none}th{font-weight:600;color:var(--muted);font-size:12px}",
  "td.text{text-align:left;white-space:normal}tr.bad td{color:var(--bad)}td.running{color:var(--ok)}td.stopped{color:var(--bad)}",
  "form{display:flex;gap:8px;margin-bottom:6px}input{flex:0 1 360px;padding:4px 8px;font:inherit}button{font:inherit;padding:4px 12px}",
  ".flow{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:16px;align-items:start}",
  ".spans,.spans ul{list-style:none;margin:0;padding-left:16px}.spans{padding-left:0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}",
  ".spans .timing{color:var(--muted)}.spans .error{color:var(--bad)}",
  ".topology .badge rect{stroke-width:1.2}.topology .badge text{font-size:14px;font-weight:bold}",
  ".topology .badge.ok rect{fill:#e6f4ea;stroke:var(--ok)}.topology .badge.ok text{fill:var(--ok)}",
  ".topology .badge.busy rect{fill:#fff7e0;stroke:var(--warn)}.topology .badge.busy text{fill:var(--warn)}",
  ".topology .badge.bad rect{fill:#fdecea;stroke:var(--bad)}.topology .badge.bad text{fill:var(--bad)}",
].join("");
