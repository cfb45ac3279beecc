import * as vm from "node:vm";
import { escapeHtml, livePage, scriptJson } from "../../../platform/live-view/page";
import { validate } from "../../../platform/model";
import { topology } from "../../../topology";

describe("escapeHtml", () => {
  it("escapes the five characters that could break out of text or a quoted attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;");
  });
});

describe("scriptJson", () => {
  it("writes JSON that no value can close its <script> element with", () => {
    // Act
    const json = scriptJson({ topic: "</script><script>alert(1)</script>" });

    // Assess
    expect(json).toBe(`{"topic":"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"}`);
    expect(JSON.parse(json)).toEqual({ topic: "</script><script>alert(1)</script>" });
  });
});

describe("livePage", () => {
  const valid = validate(topology, { stack: "dev" });
  const page = livePage({ topology: valid, catalog: { stack: "dev", info: { title: `Shop <"&'>` } }, executions: "orders" });

  it("draws the catalog's diagram: one data-node per context, topic and group, as the catalog page", () => {
    // Act
    const svg = /<svg[\s\S]*<\/svg>/.exec(page)?.[0] ?? "";
    const nodes = [...svg.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1]);

    // Assess
    expect(nodes).toEqual([
      ...valid.contexts.map((c) => `context:${c.name}`),
      ...valid.topics.filter((t) => t.purpose === "events").map((t) => `topic:${t.name}`),
      ...valid.consumers.map((g) => `group:${g.name}`),
      ...valid.topics.filter((t) => t.purpose === "violations").map((t) => `violations:${t.name}`),
    ]);
  });

  it("escapes what it inserts, loads nothing from elsewhere, and carries a script that compiles", () => {
    // Act
    const script = /<script>([\s\S]*)<\/script>\n<\/body>/.exec(page)?.[1] ?? "";
    const topics = JSON.parse(/<script type="application\/json" id="topology-data">(.*)<\/script>/.exec(page)?.[1] ?? "null") as unknown;

    // Assess
    expect(page).toContain(`<title>Shop &lt;&quot;&amp;&#39;&gt; live view — stack dev</title>`);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:"`);
    expect([...page.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1])).toEqual(["data:,"]);
    expect(topics).toEqual({ topics: Object.fromEntries(valid.contexts.map((c) => [`${c.name}.events`, c.name])) });
    expect(script.length).toBeGreaterThan(1000);
    expect(() => new vm.Script(script)).not.toThrow();
  });

  it("gives every count the script fills a stable place: the tables' bodies and the header's counters", () => {
    expect(["contexts", "groups", "events", "dead-letters"].map((id) => page.includes(`<section class="card" id="${id}">`))).toEqual([true, true, true, true]);
    expect(page).toContain(
      `demo: started <b data-count="run:started">0</b>/<b data-count="run:planned">0</b> orders<span id="over-http" hidden> · <b data-count="run:over-http">0</b> more started over HTTP</span>`,
    );
  });
});
