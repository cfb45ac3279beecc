import type { CatalogFacts, EventFacts, GroupFacts } from "./catalog-contents";
import { failureMilestoneSentence, platformRole, waitLine } from "./wording";
import { type GraphNode, NodeKind, type TopologyGraph } from "./graph";
import { diagramLegend, GENERATED_NOTE, summaryLine } from "./markdown";
import { topologySvg } from "./svg";

/**
 * `index.html`: one self-contained page — inline CSS, the diagram as inline SVG drawn by
 * `svg.ts`, no script, no font, nothing fetched (its Content-Security-Policy forbids it), so it
 * works offline from `file://`. The Mermaid source sits in a collapsed block for copy-paste.
 */
export function catalogHtml(facts: CatalogFacts, graph: TopologyGraph, mermaid: string): string {
  const title = `${facts.info.title} event catalog — stack ${facts.stack}`;
  const svg = topologySvg(graph, { href: nodeHref, id: "topology" });
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<meta name="generator" content="npm run catalog">`,
    `<link rel="icon" href="data:,">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${esc(facts.info.title)} <span class="muted">event catalog</span></h1>`,
    `<p class="meta">Stack <code>${esc(facts.stack)}</code> · version ${esc(facts.info.version)} · ${esc(summaryLine(facts))}</p>`,
    `<p class="note">${markdownCode(GENERATED_NOTE)} Also: <a href="asyncapi.yaml">asyncapi.yaml</a> (AsyncAPI 3.0) · <a href="topology.md">topology.md</a>.</p>`,
    `<nav><a href="#diagram">Diagram</a><a href="#contexts">Contexts</a>${facts.invariants.length > 0 ? `<a href="#invariants">Invariants</a>` : ""}<a href="#events">Events</a><a href="#groups">Consumer groups</a><a href="#topics">Topics</a></nav>`,
    "</header>",
    "<main>",
    `<section id="diagram">`,
    "<h2>Diagram</h2>",
    `<p class="legend">${markdownCode(diagramLegend(facts))} Click a node for its details.</p>`,
    `<div class="diagram">`,
    svg.trimEnd(),
    "</div>",
    `<details class="source"><summary>Mermaid source</summary>`,
    `<pre><code>${esc(mermaid.trimEnd())}</code></pre>`,
    "</details>",
    "</section>",
    contextsSection(facts),
    ...(facts.invariants.length > 0 ? [invariantsSection(facts)] : []),
    eventsSection(facts),
    groupsSection(facts),
    topicsSection(facts),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export function nodeHref(node: GraphNode): string {
  const section = node.kind === NodeKind.Context ? "context" : node.kind === NodeKind.Group ? "group" : "topic";
  return `#${section}-${node.name}`;
}

function contextsSection(facts: CatalogFacts): string {
  return [
    `<section id="contexts">`,
    "<h2>Contexts</h2>",
    table(
      ["Context", "Topic", "Publishes", "State machine", "Started by", "Waits for"],
      facts.contexts.map((c) => ({
        id: `context-${c.name}`,
        cells: [
          `<code class="name">${esc(c.name)}</code>${c.description ? `<div class="desc">${esc(c.description)}</div>` : ""}${c.definedIn ? `<div class="file">${esc(c.definedIn)}</div>` : ""}`,
          `<code>${esc(c.topic)}</code>`,
          c.events.map((e) => `<a href="#event-${attr(e.type)}"><code>${esc(e.name)}</code></a>${e.failureMilestoneOf ? ` <span class="tag failure">on failure</span>` : ""}`).join("<br>"),
          `<code>${esc(c.stateMachine)}</code>`,
          c.startedBy.map((g) => `<a href="#group-${attr(g)}"><code>${esc(g)}</code></a>`).join("<br>") || `<span class="muted">—</span>`,
          c.waits.map((w) => `${esc(waitLine(w))} <span class="tag"><a href="#group-${attr(w.correlator)}">${esc(w.correlator)}</a></span>`).join("<br>") || `<span class="muted">—</span>`,
        ],
      })),
    ),
    "</section>",
  ].join("\n");
}

function invariantsSection(facts: CatalogFacts): string {
  const first = facts.invariants[0]!;
  return [
    `<section id="invariants">`,
    "<h2>Invariants</h2>",
    `<p>Checked by the platform's <a href="#group-${attr(first.checkedBy)}"><code>${esc(first.checkedBy)}</code></a> group, which receives every event they read; each violation is reported once to <a href="#topic-${attr(first.violationTopic)}"><code>${esc(first.violationTopic)}</code></a>.</p>`,
    table(
      ["Invariant", "Rule", "Reads"],
      facts.invariants.map((i) => ({
        id: `invariant-${i.name}`,
        cells: [
          `<code class="name">${esc(i.name)}</code>${i.description ? `<div class="desc">${esc(i.description)}</div>` : ""}${i.definedIn ? `<div class="file">${esc(i.definedIn)}</div>` : ""}`,
          `<span class="rule">${esc(i.text)}</span>`,
          i.reads.map((type) => `<a href="#event-${attr(type)}"><code>${esc(type)}</code></a>`).join("<br>"),
        ],
      })),
    ),
    "</section>",
  ].join("\n");
}

function eventsSection(facts: CatalogFacts): string {
  return [`<section id="events">`, "<h2>Events</h2>", ...facts.events.map((event) => eventArticle(facts, event)), "</section>"].join("\n");
}

function eventArticle(facts: CatalogFacts, event: EventFacts): string {
  const failure = event.failureMilestoneOf ? facts.contexts.find((c) => c.name === event.failureMilestoneOf)?.failure : undefined;
  const invariants = facts.invariants.filter((i) => event.invariants.includes(i.name));
  const states = event.milestones.map((m) => `<code>${esc(m.state)}</code>${m.inMap ? " (in a Map, once per item)" : ""}`).join(", ");
  const producer = [
    `<a href="#context-${attr(event.context)}"><code>${esc(event.context)}</code></a> → <a href="#topic-${attr(event.topic)}"><code>${esc(event.topic)}</code></a>`,
    states && `milestone ${states}`,
    event.keys.length > 0 && `key ${event.keys.map((k) => `<code>${esc(k)}</code>`).join(" or ")}`,
  ]
    .filter(Boolean)
    .join("<br>");
  const consumers =
    event.consumers
      .map(
        (c) =>
          `<a href="#group-${attr(c.group)}"><code>${esc(c.group)}</code></a> <span class="muted">(<code>${esc(c.groupId)}</code>)</span>${c.startsWorkflow ? ` <span class="tag">starts ${esc(c.startsWorkflow)}</span>` : ""}`,
      )
      .join("<br>") || `<span class="muted">none yet</span>`;
  return [
    `<article class="event" id="event-${attr(event.type)}">`,
    `<h3><code>${esc(event.type)}</code> <span class="muted">v${event.version}</span></h3>`,
    ...(event.description ? [`<p>${esc(event.description)}</p>`] : []),
    ...(failure ? [`<p class="failure">${markdownCode(failureMilestoneSentence(event.context, failure.states.map((state) => `\`${state}\``)))}</p>`] : []),
    ...(invariants.length > 0
      ? [`<ul class="invariants">${invariants.map((i) => `<li>Read by invariant <a href="#invariant-${attr(i.name)}"><code>${esc(i.name)}</code></a>: <span class="rule">${esc(i.text)}</span>.</li>`).join("")}</ul>`]
      : []),
    table(["Producer", "Schema", "Consumers"], [{ cells: [producer, `<code class="urn">${esc(event.dataschema).replace(/:/g, ":<wbr>")}</code>`, consumers] }]),
    `<details><summary>Data schema <span class="muted">(JSON Schema draft-07, from the zod schema)</span></summary>`,
    `<pre><code>${esc(JSON.stringify(event.schema, null, 2))}</code></pre>`,
    "</details>",
    "</article>",
  ].join("\n");
}

function groupsSection(facts: CatalogFacts): string {
  return [
    `<section id="groups">`,
    "<h2>Consumer groups</h2>",
    `<p>Group ids are those of stack <code>${esc(facts.stack)}</code>: <code>&lt;stack&gt;.&lt;group&gt;.&lt;context&gt;</code>, one per subscribed context (one MSK event source mapping each).</p>`,
    table(
      ["Group", "Subscriptions: topic, group id, events", "Batch / window", "Pollers", "Retries", "Dead letters", "Starts workflow"],
      facts.groups.map((g) => ({ id: `group-${g.name}`, cells: groupCells(g) })),
    ),
    "</section>",
  ].join("\n");
}

function groupCells(group: GroupFacts): string[] {
  const role = platformRole(group);
  return [
    `<code class="name">${esc(group.name)}</code>${role ? ` <span class="tag">${esc(role.what)}</span><div class="desc">${esc(role.does)}</div>` : ""}${group.description ? `<div class="desc">${esc(group.description)}</div>` : ""}${group.definedIn ? `<div class="file">${esc(group.definedIn)}</div>` : ""}`,
    group.subscriptions
      .map(
        (s) =>
          `<div class="sub"><code>${esc(s.topic)}</code> <span class="muted">as</span> <code>${esc(s.groupId)}</code>` +
          `<div>${s.types.map((t) => `<a href="#event-${attr(t)}"><code>${esc(t.slice(t.indexOf(".") + 1))}</code></a>`).join(", ")}</div></div>`,
      )
      .join(""),
    `${group.batch.size} / ${group.batch.windowSeconds} s`,
    `${group.scaling.minPollers}–${group.scaling.maxPollers}`,
    group.retries === -1 ? "forever" : String(group.retries),
    `<code>${esc(group.deadLetterTopic)}</code>`,
    group.startsWorkflow ? `<a href="#context-${attr(group.startsWorkflow)}"><code>${esc(group.startsWorkflow)}</code></a>` : `<span class="muted">—</span>`,
  ];
}

function topicsSection(facts: CatalogFacts): string {
  return [
    `<section id="topics">`,
    "<h2>Topics</h2>",
    `<p>${facts.partitions} partitions per context topic, half that (at least 1) per dead-letter${facts.invariants.length > 0 ? " and violations" : ""} topic, as the stack creates them.</p>`,
    table(
      ["Topic", "Purpose", "Owner", "Partitions"],
      facts.topics.map((t) => ({
        id: `topic-${t.name}`,
        cells: [
          `<code>${esc(t.name)}</code>`,
          t.purpose,
          `<a href="#${t.purpose === "events" ? "context" : "group"}-${attr(t.owner)}"><code>${esc(t.owner)}</code></a>`,
          String(t.partitions),
        ],
      })),
    ),
    "</section>",
  ].join("\n");
}

function table(headers: readonly string[], rows: readonly { id?: string; cells: readonly string[] }[]): string {
  return [
    "<table>",
    `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`,
    "<tbody>",
    ...rows.map((r) => `<tr${r.id ? ` id="${attr(r.id)}"` : ""}>${r.cells.map((c) => `<td>${c}</td>`).join("")}</tr>`),
    "</tbody>",
    "</table>",
  ].join("\n");
}

/** Inline code spans of a Markdown sentence as `<code>`, the rest escaped. */
function markdownCode(value: string): string {
  return value
    .split("`")
    .map((part, i) => (i % 2 === 1 ? `<code>${esc(part)}</code>` : esc(part)))
    .join("");
}

function esc(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function attr(value: string): string {
  return esc(value).replace(/"/g, "&quot;");
}

const CSS = [
  ":root{color-scheme:light;--ink:#17202b;--muted:#5f6b7a;--line:#d9dee5;--bg:#f6f8fa;--accent:#3b6fd8}",
  "*{box-sizing:border-box}",
  "body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;color:var(--ink);background:#fff}",
  "header,main{max-width:1280px;margin:0 auto;padding:0 24px}",
  "header{padding-top:24px;border-bottom:1px solid var(--line)}",
  "h1{margin:0 0 4px;font-size:28px}",
  "h2{margin:36px 0 12px;font-size:21px;padding-bottom:4px;border-bottom:1px solid var(--line)}",
  "h3{margin:0 0 6px;font-size:16px}",
  "code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,'Liberation Mono',monospace;font-size:13px}",
  "code{background:var(--bg);padding:1px 4px;border-radius:4px}",
  "pre{background:var(--bg);padding:12px;border-radius:6px;overflow:auto;margin:8px 0 0}",
  "pre code{background:none;padding:0}",
  "a{color:var(--accent);text-decoration:none}",
  "a:hover{text-decoration:underline}",
  ".muted{color:var(--muted);font-weight:normal}",
  ".meta,.note{margin:4px 0;color:var(--muted)}",
  "nav{display:flex;gap:18px;padding:12px 0}",
  ".legend{color:var(--muted);max-width:900px}",
  ".diagram{overflow:auto;border:1px solid var(--line);border-radius:8px;background:#fbfcfd;padding:8px}",
  ".diagram svg{display:block;margin:0 auto;max-width:none}",
  "details{margin-top:8px}",
  "summary{cursor:pointer;color:var(--muted)}",
  "table{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}",
  "th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}",
  "th{background:var(--bg);font-weight:600}",
  "tr:target td{background:#fff8d6}",
  "td code{white-space:nowrap}",
  ".sub+.sub{margin-top:8px}",
  "#groups td:nth-child(2){min-width:25rem}",
  "code.name{font-weight:bold}",
  ".desc{color:var(--muted);font-size:13px;margin-top:2px}",
  ".file{color:var(--muted);font-size:12px;font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace}",
  ".event{border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:14px 0}",
  ".event:target{border-color:var(--accent);box-shadow:0 0 0 2px #3b6fd833}",
  ".event table{margin-bottom:0}",
  ".event table{table-layout:fixed}",
  ".event th:nth-child(1){width:31%}.event th:nth-child(2){width:31%}",
  "td code.urn{white-space:normal}",
  ".tag{display:inline-block;font-size:12px;padding:0 6px;border-radius:10px;background:#efe6f8;color:#5a2d86}",
  ".tag.failure{background:#fdecea;color:#8a1c16}",
  "p.failure{border-left:3px solid #c5221f;padding-left:8px}",
  "ul.invariants{margin:6px 0;padding-left:20px}",
  ".rule{font-style:italic}",
  "main{padding-bottom:48px}",
].join("\n");
