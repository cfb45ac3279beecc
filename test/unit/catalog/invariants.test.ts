import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import type { Kafka, ProducerRecord } from "kafkajs";
import { parse } from "yaml";
import { defineTopology, validate, ViolationKind } from "../../../platform/model";
import { KafkaViolationReporter } from "../../../platform/runtime/invariants";
import { CLOUDEVENTS_CONTENT_TYPE } from "../../../platform/runtime/envelope";
import { catalogFacts, contracts, EdgeKind, generateCatalog, NodeKind, topologyGraph } from "../../../platform/catalog";
import { durationText, ruleText } from "../../../platform/catalog/wording";
import { billing, notify, sales, shipping, startBilling, validInvariantTopology } from "./invariant-topology";

const stack = "dev";
const valid = validInvariantTopology(stack);
const facts = catalogFacts(valid, { stack });
const files = generateCatalog(valid, { stack });

const RULES = {
  "order-settles-once": "after sales.OrderPlaced, exactly one of billing.InvoiceIssued, sales.OrderRefunded within 15 min, for the same $.orderId",
  "no-dispatch-after-refund": "after sales.OrderRefunded, never shipping.ShipmentDispatched, for the same $.orderId",
} as const;
type InvariantName = keyof typeof RULES;

/** Which invariants read each event of the fixture: exactly these, in declaration order. */
const READ_BY: Record<string, readonly InvariantName[]> = {
  "sales.OrderPlaced": ["order-settles-once"],
  "sales.OrderRefunded": ["order-settles-once", "no-dispatch-after-refund"],
  "billing.InvoiceIssued": ["order-settles-once"],
  "billing.InvoiceFailed": [],
  "shipping.ShipmentScheduled": [],
  "shipping.ShipmentDispatched": ["no-dispatch-after-refund"],
};

const FAILURE = "failure milestone of billing: published once whenever an execution fails";
const FAILURE_SENTENCE =
  "Failure milestone of billing: published once whenever an execution fails, from `AnnounceNotInvoiced` (before its Fail state) and by the backstop for a failure that reaches no Fail state (an uncaught error, a timeout, an abort).";

/** The markdown section of one event, up to the next heading. */
const eventSection = (markdown: string, type: string) => markdown.split(`### \`${type}\`\n`)[1]!.split("\n#")[0]!;
/** The page's article of one event. */
const eventArticle = (html: string, type: string) => html.split(`<article class="event" id="event-${type}">`)[1]!.split("</article>")[0]!;
const count = (text: string, part: string) => text.split(part).length - 1;

describe("catalog facts of invariants and failure milestones", () => {
  it("lists each invariant once, with its rule in words, what it reads, and who checks it", () => {
    expect(facts.invariants).toEqual([
      {
        name: "order-settles-once",
        description: "A placed order is invoiced or refunded within 15 minutes, never both.",
        key: "$.orderId",
        after: "sales.OrderPlaced",
        rule: "exactlyOne",
        followers: ["billing.InvoiceIssued", "sales.OrderRefunded"],
        withinSeconds: 900,
        reads: ["sales.OrderPlaced", "billing.InvoiceIssued", "sales.OrderRefunded"],
        text: RULES["order-settles-once"],
        checkedBy: "invariants",
        violationTopic: "invariants.violations",
        definedIn: "test/unit/catalog/invariant-topology.ts",
      },
      {
        name: "no-dispatch-after-refund",
        description: undefined,
        key: "$.orderId",
        after: "sales.OrderRefunded",
        rule: "never",
        followers: ["shipping.ShipmentDispatched"],
        withinSeconds: undefined,
        reads: ["sales.OrderRefunded", "shipping.ShipmentDispatched"],
        text: RULES["no-dispatch-after-refund"],
        checkedBy: "invariants",
        violationTopic: "invariants.violations",
        definedIn: "test/unit/catalog/invariant-topology.ts",
      },
    ]);
  });

  it("puts beside each event exactly the invariants that read it, and marks only the failure milestone", () => {
    expect(Object.fromEntries(facts.events.map((e) => [e.type, e.invariants]))).toEqual(READ_BY);
    expect(facts.events.filter((e) => e.failureMilestoneOf).map((e) => [e.type, e.failureMilestoneOf])).toEqual([["billing.InvoiceFailed", "billing"]]);
    expect(facts.contexts.map((c) => c.failure)).toEqual([
      undefined,
      { eventType: "billing.InvoiceFailed", key: "$.input.orderId", data: { orderId: "$.input.orderId", reason: "$.error" }, states: ["AnnounceNotInvoiced"] },
      undefined,
    ]);
  });

  it("marks the invariants group as the platform's checker, and lists the violations topic with its purpose", () => {
    expect(facts.groups.map((g) => [g.name, g.checksInvariants, g.completesWaitsOf])).toEqual([
      [startBilling.name, undefined, undefined],
      [notify.name, undefined, undefined],
      ["invariants", { invariants: ["order-settles-once", "no-dispatch-after-refund"], violationTopic: "invariants.violations" }, undefined],
    ]);
    expect(facts.topics.at(-1)).toEqual({ name: "invariants.violations", purpose: "violations", owner: "invariants", partitions: 2 });
    expect(facts.topics.filter((t) => t.purpose === "violations")).toHaveLength(1);
  });
});

describe("the AsyncAPI document with invariants", () => {
  const document = parse(files["asyncapi.yaml"]) as {
    "x-ensemble-invariants": unknown;
    channels: Record<string, { messages: Record<string, unknown>; bindings: unknown }>;
    operations: Record<string, { action: string; "x-ensemble": Record<string, unknown>; description?: string }>;
    components: { messages: Record<string, { description?: string; "x-ensemble"?: Record<string, unknown>; "x-ensemble-invariants"?: unknown }>; schemas: Record<string, unknown> };
  };

  it("is accepted by the parser without a single error", async () => {
    const { diagnostics } = await new Parser().parse(files["asyncapi.yaml"]);
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
  });

  it("lists every invariant once at the top, in full", () => {
    expect(document["x-ensemble-invariants"]).toEqual([
      {
        name: "order-settles-once",
        description: "A placed order is invoiced or refunded within 15 minutes, never both.",
        rule: RULES["order-settles-once"],
        key: "$.orderId",
        after: "sales.OrderPlaced",
        exactlyOne: ["billing.InvoiceIssued", "sales.OrderRefunded"],
        withinSeconds: 900,
        reads: ["sales.OrderPlaced", "billing.InvoiceIssued", "sales.OrderRefunded"],
        checkedBy: "invariants",
        violations: "invariants.violations",
        definedIn: "test/unit/catalog/invariant-topology.ts",
      },
      {
        name: "no-dispatch-after-refund",
        rule: RULES["no-dispatch-after-refund"],
        key: "$.orderId",
        after: "sales.OrderRefunded",
        never: ["shipping.ShipmentDispatched"],
        reads: ["sales.OrderRefunded", "shipping.ShipmentDispatched"],
        checkedBy: "invariants",
        violations: "invariants.violations",
        definedIn: "test/unit/catalog/invariant-topology.ts",
      },
    ]);
  });

  it("names on each message exactly the invariants that read it", () => {
    for (const [type, names] of Object.entries(READ_BY)) {
      const message = document.components.messages[type]!;
      expect([type, message["x-ensemble-invariants"]]).toEqual([type, names.length > 0 ? names.map((name) => ({ name, rule: RULES[name] })) : undefined]);
    }
  });

  it("marks the failure milestone on its message and on its context's publish operation", () => {
    const failed = document.components.messages["billing.InvoiceFailed"]!;
    expect(failed["x-ensemble"]!.failureMilestoneOf).toBe("billing");
    expect(failed.description).toContain(FAILURE_SENTENCE);
    const marked = Object.entries(document.components.messages).filter(([, m]) => m["x-ensemble"]?.failureMilestoneOf !== undefined || m.description?.includes(FAILURE));
    expect(marked.map(([type]) => type)).toEqual(["billing.InvoiceFailed"]);
    expect(document.operations["billing.publish"]!["x-ensemble"].failureMilestone).toEqual({
      event: "billing.InvoiceFailed",
      key: "$.input.orderId",
      data: { orderId: "$.input.orderId", reason: "$.error" },
      states: ["AnnounceNotInvoiced"],
      backstop: true,
    });
    expect(document.operations["sales.publish"]!["x-ensemble"].failureMilestone).toBeUndefined();
  });

  it("has the violations topic as a channel, the checker's send to it, and the checker marked on its receives", () => {
    const channel = document.channels["invariants.violations"]!;
    expect(Object.keys(channel.messages)).toEqual(["InvariantViolated"]);
    expect(channel.bindings).toEqual({ kafka: { topic: "invariants.violations", partitions: 2, bindingVersion: "0.5.0" } });
    const report = document.operations["invariants.report-violations"]!;
    expect(report.action).toBe("send");
    expect(report["x-ensemble"]).toEqual({ group: "invariants", invariants: ["order-settles-once", "no-dispatch-after-refund"] });
    for (const context of ["sales", "billing", "shipping"]) {
      expect(document.operations[`invariants.receive.${context}`]!["x-ensemble"]).toMatchObject({
        checksInvariants: ["order-settles-once", "no-dispatch-after-refund"],
        reportsViolationsTo: "invariants.violations",
      });
    }
    expect(document.operations["start-billing.receive.sales"]!["x-ensemble"].checksInvariants).toBeUndefined();
  });
});

describe("topology.md with invariants", () => {
  const markdown = files["topology.md"];

  it("has one Invariants section, a row per invariant with its description, rule and the events it reads", () => {
    expect(count(markdown, "\n## Invariants\n")).toBe(1);
    const rows = markdown.split("\n## Invariants\n")[1]!.split("\n## ")[0]!.split("\n").filter((l) => l.startsWith("| <a id="));
    expect(rows).toEqual([
      "| <a id=\"invariant-order-settles-once\"></a>`order-settles-once`<br>A placed order is invoiced or refunded within 15 minutes, never both. | " +
        `${RULES["order-settles-once"]} | [\`sales.OrderPlaced\`](#salesorderplaced)<br>[\`billing.InvoiceIssued\`](#billinginvoiceissued)<br>[\`sales.OrderRefunded\`](#salesorderrefunded) |`,
      `| <a id="invariant-no-dispatch-after-refund"></a>\`no-dispatch-after-refund\` | ${RULES["no-dispatch-after-refund"]} | [\`sales.OrderRefunded\`](#salesorderrefunded)<br>[\`shipping.ShipmentDispatched\`](#shippingshipmentdispatched) |`,
    ]);
  });

  it("lists on each event's entry exactly the invariants that read it", () => {
    for (const [type, names] of Object.entries(READ_BY)) {
      const lines = eventSection(markdown, type).split("\n").filter((l) => l.startsWith("- Read by invariant"));
      expect([type, lines]).toEqual([type, names.map((name) => `- Read by invariant [\`${name}\`](#invariant-${name}): ${RULES[name]}.`)]);
    }
  });

  it("marks the failure milestone on its event's entry and in its context's row, and nowhere else", () => {
    expect(eventSection(markdown, "billing.InvoiceFailed")).toContain(`\n${FAILURE_SENTENCE}\n`);
    expect(count(markdown.toLowerCase(), FAILURE)).toBe(1);
    expect(markdown).toContain("[`InvoiceFailed`](#billinginvoicefailed) (on failure) |");
    expect(count(markdown, "(on failure)")).toBe(1);
  });

  it("lists the violations topic with its purpose and marks the checker in the groups table", () => {
    expect(markdown).toContain("\n| `invariants.violations` | violations | `invariants` | 2 |\n");
    expect(markdown).toContain("\n| `invariants`<br>*the platform's invariant checker: reports violations to invariants.violations*<br>Checks the invariants");
    expect(markdown).toContain("3 contexts · 6 events · 3 consumer groups · 2 invariants · 7 topics (3 context topics, 3 dead-letter topics, 1 violations topic)");
  });

  it("draws the violations topic once, reached from the invariants group by an edge naming the invariants", () => {
    const mermaid = /```mermaid\n([\s\S]*?)```/.exec(markdown)![1]!;
    expect(mermaid.split("\n").filter((l) => l.includes("violations_"))).toEqual([
      '  violations_invariants_violations[("invariants.violations")]:::violations',
      '  group_invariants -->|"order-settles-once<br>no-dispatch-after-refund"| violations_invariants_violations',
    ]);
    expect(mermaid).toContain("  classDef violations ");
    expect(mermaid).toContain('  topic_sales_events -->|"OrderPlaced<br>OrderRefunded"| group_invariants');
  });
});

describe("index.html with invariants", () => {
  const html = files["index.html"];

  it("has an Invariants section with one row per invariant", () => {
    const section = html.split(`<section id="invariants">`)[1]!.split("</section>")[0]!;
    expect([...section.matchAll(/<tr id="invariant-([^"]+)">/g)].map((m) => m[1])).toEqual(Object.keys(RULES));
    for (const rule of Object.values(RULES)) expect(count(section, `<span class="rule">${rule}</span>`)).toBe(1);
    expect(html).toContain(`<a href="#invariants">Invariants</a>`);
  });

  it("lists on each event's article exactly the invariants that read it, and marks only the failure milestone", () => {
    for (const [type, names] of Object.entries(READ_BY)) {
      const article = eventArticle(html, type);
      expect([type, [...article.matchAll(/Read by invariant <a href="#invariant-([^"]+)">/g)].map((m) => m[1])]).toEqual([type, names]);
      expect([type, article.includes(`<p class="failure">`)]).toEqual([type, type === "billing.InvoiceFailed"]);
    }
    expect(eventArticle(html, "billing.InvoiceFailed")).toContain("Failure milestone of billing: published once whenever an execution fails, from <code>AnnounceNotInvoiced</code>");
  });

  it("draws the violations topic as one more node, after the groups, with one labelled edge", () => {
    expect([...html.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "context:sales",
      "context:billing",
      "context:shipping",
      "topic:sales.events",
      "topic:billing.events",
      "topic:shipping.events",
      "group:start-billing",
      "group:notify",
      "group:invariants",
      "violations:invariants.violations",
    ]);
    expect([...html.matchAll(/data-edge="([^"]+)"/g)].map((m) => m[1]).filter((e) => e!.includes("violations"))).toEqual(["group:invariants-&gt;violations:invariants.violations"]);
    expect(html).toContain(`<tr id="topic-invariants.violations"><td><code>invariants.violations</code></td><td>violations</td>`);
  });
});

describe("the graph with invariants", () => {
  it("has one violations node and one reports edge, labelled with the invariants", () => {
    const graph = topologyGraph(facts);
    expect(graph.nodes.filter((n) => n.kind === NodeKind.Violations).map((n) => n.key)).toEqual(["violations:invariants.violations"]);
    expect(graph.edges.filter((e) => e.kind === EdgeKind.Reports)).toEqual([
      { from: "group:invariants", to: "violations:invariants.violations", kind: EdgeKind.Reports, label: ["order-settles-once", "no-dispatch-after-refund"], context: undefined },
    ]);
  });

  it("has neither, nor an Invariants section, for a topology without invariants", () => {
    const plain = validate(defineTopology({ contexts: [sales, billing, shipping], consumers: [startBilling, notify] }), { stack, checkFiles: false });
    const without = generateCatalog(plain, { stack });
    const graph = topologyGraph(catalogFacts(plain, { stack }));
    expect(graph.nodes.filter((n) => n.kind === NodeKind.Violations)).toEqual([]);
    expect(graph.edges.filter((e) => e.kind === EdgeKind.Reports)).toEqual([]);
    expect(without["topology.md"]).not.toContain("## Invariants");
    expect(without["topology.md"]).not.toContain("classDef violations");
    expect(without["asyncapi.yaml"]).not.toContain("x-ensemble-invariants");
    expect(without["asyncapi.yaml"]).not.toContain("invariants.violations");
    expect(without["index.html"]).not.toContain(`id="invariants"`);
    // The failure milestone is marked all the same.
    expect(without["topology.md"]).toContain(FAILURE_SENTENCE);
  });
});

describe("the wording of rules", () => {
  it("says durations in their largest whole unit", () => {
    expect([1, 59, 60, 900, 5400, 3600, 7200, 86_400, 7 * 86_400, 90_000].map(durationText)).toEqual(["1 s", "59 s", "1 min", "15 min", "90 min", "1 h", "2 h", "1 d", "7 d", "25 h"]);
  });

  it("says one follower without 'of', several never-events with 'any of'", () => {
    const base = { after: "a.Opened", key: "$.id" } as const;
    expect(ruleText({ ...base, rule: "exactlyOne", followers: ["b.Closed"], withinSeconds: 3600 })).toBe("after a.Opened, exactly one b.Closed within 1 h, for the same $.id");
    expect(ruleText({ ...base, rule: "never", followers: ["b.Closed", "c.Shipped"], withinSeconds: undefined })).toBe("after a.Opened, never any of b.Closed, c.Shipped, for the same $.id");
  });
});

describe("the violations contract", () => {
  it("matches the CloudEvent the runtime's reporter writes", async () => {
    // Prepare
    const sent: ProducerRecord[] = [];
    const kafka = { producer: () => ({ connect: async () => {}, send: async (record: ProducerRecord) => (sent.push(record), []), disconnect: async () => {} }) } as unknown as Kafka;
    const reporter = new KafkaViolationReporter(kafka);
    const schema = (parse(files["asyncapi.yaml"]) as { components: { schemas: Record<string, { required: string[]; properties: Record<string, { const?: string; required?: string[]; properties?: Record<string, { enum?: string[] }> }> }> } })
      .components.schemas.InvariantViolated!;

    // Act
    await reporter.report({ invariant: "order-settles-once", key: "o-1", kind: ViolationKind.Missing, message: "none came", events: [{ id: "e-1", type: "sales.OrderPlaced", time: "2025-01-01T00:00:00.000Z" }] });
    await reporter.close();

    // Assess
    const [record] = sent;
    expect(record!.topic).toBe("invariants.violations");
    const [message] = record!.messages;
    expect(message!.key).toBe("o-1");
    expect(message!.headers).toEqual({ "content-type": CLOUDEVENTS_CONTENT_TYPE });
    const event = JSON.parse(String(message!.value)) as Record<string, unknown> & { data: Record<string, unknown> };
    for (const field of schema.required) expect([field, field in event]).toEqual([field, true]);
    expect(event.type).toBe(schema.properties.type!.const);
    expect(event.source).toBe(schema.properties.source!.const);
    expect(event.datacontenttype).toBe(schema.properties.datacontenttype!.const);
    expect(event.subject).toBe("o-1");
    expect(Object.keys(event.data)).toEqual(schema.properties.data!.required);
    expect(schema.properties.data!.properties!.kind!.enum).toEqual(Object.values(ViolationKind));
    expect(contracts.VIOLATION_SOURCE).toBe(event.source);
  });
});
