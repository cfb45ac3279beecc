// The live view's browser side, inlined into the page as it is (no build step). It renders what
// the server pushes on /live into the tables and the topology's badges, and looks keys up at
// /keys/<key>. Every value goes in as text (textContent, setAttribute), never as markup.
"use strict";
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const topics = JSON.parse(document.getElementById("topology-data").textContent).topics;
  let last = null;
  let receivedAt = 0;

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) if (value !== undefined) node.setAttribute(name, String(value));
    for (const child of children) node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    return node;
  }
  const count = (key, value) => el("span", { "data-count": key }, value);
  const cell = (...children) => el("td", {}, ...children);
  const textCell = (...children) => el("td", { class: "text" }, ...children);
  const fill = (id, rows) => document.querySelector(`#${id} tbody`).replaceChildren(...rows);
  const setCount = (key, value) => {
    for (const node of document.querySelectorAll(`[data-count="${CSS.escape(key)}"]`)) node.textContent = String(value);
  };

  function render(state) {
    const s = state.snapshot;
    setCount("run:started", s.started);
    setCount("run:planned", s.planned);
    // The header's started/planned are the demo's; executions started over HTTP are counted apart.
    setCount("run:over-http", state.startedOverHttp);
    document.getElementById("over-http").hidden = state.startedOverHttp === 0;
    fill(
      "contexts",
      s.contexts.map((c) => {
        const states = Object.entries(c.byState).sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `${name}:${n}`).join(" ");
        return el("tr", { "data-context": c.name }, cell(c.name), cell(count(`context:${c.name}:running`, c.running)), cell(count(`context:${c.name}:succeeded`, c.succeeded)), cell(count(`context:${c.name}:failed`, c.failed)), textCell(states));
      }),
    );
    fill(
      "events",
      Object.entries(s.milestones).sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => el("tr", { "data-type": type }, cell(type), cell(count(`event:${type}`, n)))),
    );
    fill(
      "groups",
      s.groups.map((g) => {
        const row = el(
          "tr",
          { "data-group": g.name, class: g.deadLettered !== 0 ? "bad" : undefined },
          cell(g.name),
          cell(count(`group:${g.name}:delivered`, g.delivered), "/", count(`group:${g.name}:expected`, g.expected)),
          cell(count(`group:${g.name}:failed`, g.failed)),
          cell(count(`group:${g.name}:filtered`, g.filtered)),
          cell(count(`group:${g.name}:dead-lettered`, g.deadLettered)),
          cell(count(`group:${g.name}:lag`, g.lag)),
        );
        row.append(el("td", { class: g.running ? "running" : "stopped", "data-running": g.running, title: g.running ? "running" : "stopped" }, g.running ? "●" : "stopped"));
        return row;
      }),
    );
    document.getElementById("dead-letters-total").textContent = state.deadLettersTotal === 0 ? "none" : `${state.deadLettersTotal} (the latest ${state.deadLetters.length} below; all at /dead-letters)`;
    fill(
      "dead-letters",
      [...state.deadLetters].reverse().map((d) =>
        el(
          "tr",
          { "data-dead-letter": `${d.group}:${d.partition}:${d.offset}` },
          cell(new Date(d.at).toLocaleTimeString()),
          cell(d.group),
          cell(d.reason),
          textCell(d.detail || ""),
          textCell(d.events.map((e) => [e.type, e.id, e.key && `key ${e.key}`].filter(Boolean).join(" ")).join("; ")),
        ),
      ),
    );
    badges(s);
  }

  /** A pill on each node: a context's executions, a topic's events, a group's progress. */
  function badges(s) {
    // A failed execution is no alarm by itself (the demo rejects orders on purpose): the tables say how many.
    for (const c of s.contexts) badge(`context:${c.name}`, `▶${c.running} ✓${c.succeeded} ✗${c.failed}`, c.running > 0 ? "busy" : "ok");
    for (const [topic, context] of Object.entries(topics)) {
      const events = Object.entries(s.milestones).filter(([type]) => type.startsWith(`${context}.`)).reduce((sum, [, n]) => sum + n, 0);
      badge(`topic:${topic}`, `${events} events`, "ok");
    }
    for (const g of s.groups) {
      const tone = g.deadLettered !== 0 || !g.running ? "bad" : g.lag > 0 || g.delivered < g.expected ? "busy" : "ok";
      badge(`group:${g.name}`, `${g.delivered}/${g.expected} · dlq ${g.deadLettered} · lag ${g.lag}`, tone);
    }
  }

  function badge(node, text, tone) {
    const group = document.querySelector(`#topology [data-node="${CSS.escape(node)}"]`);
    if (!group) return;
    let pill = group.querySelector(":scope > .badge");
    if (!pill) {
      pill = document.createElementNS(SVG, "g");
      pill.setAttribute("data-badge", node);
      pill.append(document.createElementNS(SVG, "rect"), document.createElementNS(SVG, "text"));
      group.append(pill);
    }
    pill.setAttribute("class", `badge ${tone}`);
    const label = pill.querySelector("text");
    if (label.textContent === text) return;
    label.textContent = text;
    // Centred on the node's bottom edge: inside the gap between stacked nodes, clear of its name.
    const box = group.querySelector(".shape").getBBox();
    const width = label.getComputedTextLength() + 12;
    const rect = pill.querySelector("rect");
    const x = box.x + box.width / 2;
    const y = box.y + box.height;
    Object.entries({ x: x - width / 2, y: y - 9, width, height: 18, rx: 9 }).forEach(([k, v]) => rect.setAttribute(k, String(v)));
    Object.entries({ x, y: y + 5, "text-anchor": "middle" }).forEach(([k, v]) => label.setAttribute(k, String(v)));
  }

  function setConnection(state, text) {
    const node = document.getElementById("connection");
    node.dataset.state = state;
    node.textContent = text;
  }

  /** /live, reconnecting after a lost connection (the browser retries by itself unless it gave up). */
  function connect() {
    const source = new EventSource("/live");
    source.onmessage = (message) => {
      last = JSON.parse(message.data);
      receivedAt = performance.now();
      render(last);
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
      setConnection("live", "live");
    };
    source.onerror = () => {
      setConnection("reconnecting", "reconnecting…");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  setInterval(() => {
    if (last) document.getElementById("elapsed").textContent = `${((last.snapshot.elapsedMs + performance.now() - receivedAt) / 1000).toFixed(1)} s`;
  }, 200);

  const ms = (value) => `+${value.toFixed(1)} ms`;
  function spanItems(spans) {
    return spans.map((span) => {
      const item = el(
        "li",
        { "data-span": span.name, "data-group": span.group },
        el("span", { class: span.error ? "name error" : "name" }, `${span.name}${span.group ? ` [${span.group}]` : ""}${span.error ? " (error)" : ""}`),
        " ",
        el("span", { class: "timing" }, `${ms(span.startMs)} · ${span.durationMs.toFixed(1)} ms`),
      );
      if (span.children.length > 0) item.append(el("ul", {}, ...spanItems(span.children)));
      return item;
    });
  }

  document.getElementById("key-form").addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const key = document.getElementById("key-input").value.trim();
    const message = document.getElementById("key-message");
    message.textContent = "…";
    const response = await fetch(`/keys/${encodeURIComponent(key)}`);
    const flow = await response.json();
    message.textContent = flow.message || `${flow.events.length} events and ${countSpans(flow.spans)} spans for key ${flow.key}, in ms from its flow's start`;
    fill("key-events", flow.events.map((e) => el("tr", { "data-type": e.type, "data-context": e.context }, cell(ms(e.offsetMs)), textCell(e.context), textCell(e.type), textCell(e.id))));
    document.getElementById("key-spans").replaceChildren(...spanItems(flow.spans));
    document.getElementById("key").dataset.key = flow.key;
  });
  const countSpans = (spans) => spans.reduce((sum, span) => sum + 1 + countSpans(span.children), 0);

  connect();
})();
