import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import { OnFailureReason } from "../../../platform/local/event-source-mapping";
import { names, validate } from "../../../platform/model";
import { planConsumerGroup } from "../../../platform/model/consumer-group-plan";
import { defaultStackConfig } from "../../../platform/model/stack-config";
import { DeadLetterHeaders, PoisonReason } from "../../../platform/runtime/dead-letter";
import { CLOUDEVENTS_CONTENT_TYPE, dataSchema } from "../../../platform/runtime/envelope";
import {
  CATALOG_FILES,
  CatalogDiff,
  catalogFacts,
  compareCatalog,
  contracts,
  EVENT_TABLE_HEADER,
  formatStale,
  generateCatalog,
  mermaidIds,
  NodeKind,
  publishOperationId,
  receiveOperationId,
  topologyGraph,
  writeCatalog,
} from "../../../platform/catalog";
import { PROJECT_ROOT, projectCatalog } from "../../../commands/project-catalog";
import { topology } from "../../../topology";

const stack = "dev";
const valid = validate(topology, { stack });
const files = projectCatalog({ stack });
const groups = valid.consumers;

/** The subscribed contexts of a group and the event types from each, in declaration order. */
function subscriptions(group: (typeof groups)[number]): Map<string, string[]> {
  const byContext = new Map<string, string[]>();
  for (const event of group.on) byContext.set(event.context, [...(byContext.get(event.context) ?? []), event.type]);
  return byContext;
}

describe("catalog/asyncapi.yaml", () => {
  let parsed: Awaited<ReturnType<Parser["parse"]>>;
  beforeAll(async () => {
    parsed = await new Parser().parse(files["asyncapi.yaml"]);
  });

  it("is an AsyncAPI 3.0.0 document the parser accepts without a single error", () => {
    // Act
    const { document, diagnostics } = parsed;

    // Assess
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join(".")}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe("3.0.0");
    expect(document!.info().title()).toBe("Ensemble");
  });

  it("describes the stack's MSK cluster as a kafka-secure server with IAM (SASL/OAUTHBEARER) security", () => {
    const { document } = parsed;
    const servers = document!.servers().all();
    expect(servers.map((s) => [s.id(), s.protocol()])).toEqual([[stack, "kafka-secure"]]);
    const [scheme] = servers[0]!.security().flatMap((requirement) => requirement.all().map((r) => r.scheme()));
    expect(scheme?.type()).toBe("oauth2");
    expect(scheme?.description()).toContain("SASL/OAUTHBEARER");
    expect(document!.defaultContentType()).toBe("application/cloudevents+json");
  });

  it("has one channel per topic, with the topic and its partitions in the Kafka binding", () => {
    const { document } = parsed;
    const channels = document!.channels().all();
    expect(channels.map((c) => c.address())).toEqual(valid.topics.map((t) => t.name));
    for (const channel of channels) {
      const topic = valid.topics.find((t) => t.name === channel.address())!;
      const binding = channel.bindings().get("kafka")!.value<{ topic: string; partitions: number }>();
      expect(binding).toEqual({ topic: topic.name, partitions: topic.purpose === "events" ? 3 : 2 });
    }
  });

  it("lists every event as a message of its context's channel, its payload a CloudEvent whose data is the event's schema", () => {
    const { document } = parsed;
    for (const event of valid.events) {
      const channel = document!.channels().get(names.contextTopic(event.context))!;
      const message = channel.messages().get(event.type);
      expect(message?.name()).toBe(event.type);
      const payload = message!.payload()!;
      expect(payload.required()).toEqual(expect.arrayContaining(["id", "type", "source", "subject", "dataschema", "correlationid", "data"]));
      expect(payload.properties()!.type!.const()).toBe(event.type);
      expect(payload.properties()!.dataschema!.const()).toBe(`urn:ensemble:schema:${event.type}:v${event.version}`);
      const data = payload.properties()!.data!;
      expect(Object.keys(data.properties() ?? {})).toEqual(Object.keys((event.schema as unknown as { shape: object }).shape));
      expect(message!.headers()!.properties()!["content-type"]!.const()).toBe("application/cloudevents+json; charset=utf-8");
      expect(message!.bindings().get("kafka")!.value<{ key: { type: string } }>().key.type).toBe("string");
    }
    const eventMessages = document!
      .channels()
      .all()
      .filter((c) => c.address()!.endsWith(".events"))
      .flatMap((c) => c.messages().all().map((m) => m.id()));
    expect(eventMessages).toEqual(valid.events.map((e) => e.type));
  });

  it("has a send operation per context with all its events", () => {
    const { document } = parsed;
    for (const context of valid.contexts) {
      const operation = document!.operations().get(publishOperationId(context.name))!;
      expect(operation.action()).toBe("send");
      expect(operation.channels().all().map((c) => c.address())).toEqual([names.contextTopic(context.name)]);
      expect(operation.messages().all().map((m) => m.id())).toEqual(context.eventList.map((e) => e.type));
    }
  });

  it("has a receive operation per group and subscribed context, with the exact consumer group id", () => {
    const { document } = parsed;
    const receives = document!.operations().filterByReceive();
    const expected = groups.flatMap((group) => [...subscriptions(group).keys()].map((context) => receiveOperationId(group.name, context)));
    expect(receives.map((o) => o.id())).toEqual(expected);
    for (const group of groups) {
      for (const [context, types] of subscriptions(group)) {
        const operation = document!.operations().get(receiveOperationId(group.name, context))!;
        expect(operation.channels().all().map((c) => c.address())).toEqual([names.contextTopic(context)]);
        expect(operation.messages().all().map((m) => m.id())).toEqual(types);
        const kafka = operation.bindings().get("kafka")!.value<{ groupId: { enum: string[] }; clientId: unknown }>();
        expect(kafka.groupId.enum).toEqual([names.consumerGroupId(stack, group.name, context)]);
        expect(kafka.clientId).toBeDefined();
      }
    }
  });

  it("marks the groups that start a workflow with the context they start", () => {
    const { document } = parsed;
    for (const group of groups) {
      for (const context of subscriptions(group).keys()) {
        const operation = document!.operations().get(receiveOperationId(group.name, context))!;
        const extension = operation.extensions().get("x-ensemble")!.value<{ startsWorkflow?: { context: string } }>();
        expect(extension.startsWorkflow?.context).toBe(group.startWorkflow?.name);
      }
    }
    expect(groups.filter((g) => g.startWorkflow).length).toBeGreaterThan(0);
  });

  it("has a dead-letter channel and send operation per group", () => {
    const { document } = parsed;
    for (const group of groups) {
      const channel = document!.channels().get(names.deadLetterTopic(group.name))!;
      expect(channel.messages().all().map((m) => m.id())).toEqual(["DeadLetteredRecord", "OnFailureRecord"]);
    }
  });
});

describe("the Mermaid diagram in catalog/topology.md", () => {
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(files["topology.md"])![1]!;
  const lines = mermaid.split("\n").map((l) => l.trim());
  const declarations = lines.flatMap((line) => {
    const match = /^([A-Za-z0-9_]+)(\(\[|\[\(|\{\{|\(|\[)"(.*?)"(\)\]|\)\]|\}\}|\)|\])(:::(\w+))?$/.exec(line);
    return match ? [{ id: match[1]!, label: match[3]!, kind: match[6] }] : [];
  });
  const edges = lines.filter((line) => /-->|\.->/.test(line));

  it("is a left-to-right flowchart", () => {
    expect(lines[0]).toBe("flowchart LR");
  });

  it("declares exactly one node per context, context topic and consumer group, and the violations topic", () => {
    const expected = [
      ...valid.contexts.map((c) => ({ kind: NodeKind.Context, label: c.name })),
      ...valid.topics.filter((t) => t.purpose === "events").map((t) => ({ kind: NodeKind.Topic, label: t.name })),
      ...groups.map((g) => ({ kind: NodeKind.Group, label: g.name })),
      ...valid.topics.filter((t) => t.purpose === "violations").map((t) => ({ kind: NodeKind.Violations, label: t.name })),
    ];
    expect(declarations.map(({ kind, label }) => ({ kind, label }))).toEqual(expected);
    expect(new Set(declarations.map((d) => d.id)).size).toBe(declarations.length);
  });

  it("draws publish, delivery, workflow-start, wait-completion and violation-report edges between declared nodes only", () => {
    const ids = new Set(declarations.map((d) => d.id));
    const subscriptionCount = groups.reduce((sum, g) => sum + subscriptions(g).size, 0);
    const starting = groups.filter((g) => g.startWorkflow);
    const correlators = groups.filter((g) => g.correlates);
    const checkers = groups.filter((g) => g.checks);
    expect(edges).toHaveLength(valid.contexts.length + subscriptionCount + starting.length + correlators.length + checkers.length);
    for (const edge of edges) {
      const [, from, to] = /^(\w+) .*? (\w+)$/.exec(edge)!;
      expect(ids.has(from!) && ids.has(to!)).toBe(true);
    }
    expect(edges.filter((e) => e.includes(".->"))).toEqual([
      ...starting.map((g) => `group_${g.name.replace(/-/g, "_")} -.->|"starts"| context_${g.startWorkflow!.name}`),
      ...correlators.map((g) => `group_${g.name.replace(/-/g, "_")} -.->|"${g.correlates!.workflow!.waits.map((w) => `completes ${w.state}`).join("<br>")}"| context_${g.correlates!.name}`),
    ]);
    expect(edges.filter((e) => e.includes("violations_"))).toEqual(
      checkers.map((g) => `group_${g.name} -->|"${g.checks!.map((i) => i.name).join("<br>")}"| violations_invariants_violations`),
    );
    expect(edges).toContain(`topic_orders_events -->|"OrderPlaced<br>OrderRejected"| group_notify_customer`);
  });

  it("gives names that sanitize alike distinct ids", () => {
    const nodes = ["a-b", "a.b", "a_b"].map((name) => ({ key: `topic:${name}`, kind: NodeKind.Topic, name, detail: "", description: undefined, context: undefined }));
    expect([...mermaidIds(nodes).values()]).toEqual(["topic_a_b", "topic_a_b_2", "topic_a_b_3"]);
  });
});

describe("catalog/topology.md and index.html", () => {
  it("has a table of producer, schema and consumers per event", () => {
    const markdown = files["topology.md"];
    for (const event of valid.events) {
      const section = markdown.split(`### \`${event.type}\`\n`)[1]?.split("\n### ")[0];
      expect(section).toBeDefined();
      const table = section!.split("\n").filter((l) => l.startsWith("|"));
      expect(table[0]).toBe(EVENT_TABLE_HEADER);
      const row = table[2]!;
      expect(row).toContain(`\`${event.context}\` → \`${names.contextTopic(event.context)}\``);
      expect(row).toContain(`urn:ensemble:schema:${event.type}:v${event.version}`);
      for (const group of valid.subscribersOf(event.type)) expect(row).toContain(`\`${names.consumerGroupId(stack, group.name, event.context)}\``);
    }
  });

  it("draws the diagram in the page as an SVG with one data-node per context, topic and group (and the violations topic), and no script", () => {
    const html = files["index.html"];
    const nodes = [...html.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1]);
    expect(nodes).toEqual([
      ...valid.contexts.map((c) => `context:${c.name}`),
      ...valid.topics.filter((t) => t.purpose === "events").map((t) => `topic:${t.name}`),
      ...groups.map((g) => `group:${g.name}`),
      ...valid.topics.filter((t) => t.purpose === "violations").map((t) => `violations:${t.name}`),
    ]);
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).toContain("<details class=\"source\"><summary>Mermaid source</summary>");
  });
});

describe("generateCatalog", () => {
  it("gives the same bytes for the same model", () => {
    const again = projectCatalog({ stack });
    const fresh = generateCatalog(validate(topology, { stack }), { stack, info: { title: "Ensemble", version: "0.1.0" } });
    const twice = generateCatalog(validate(topology, { stack }), { stack, info: { title: "Ensemble", version: "0.1.0" } });
    expect(again).toEqual(files);
    expect(twice).toEqual(fresh);
    expect(Object.keys(files)).toEqual([...CATALOG_FILES]);
  });

  it("shows the group ids and partitions of the stack and setting it is given", () => {
    const prod = generateCatalog(validate(topology, { stack: "prod" }), { stack: "prod", partitions: 6 });
    expect(prod["asyncapi.yaml"]).toContain("- prod.start-shipping.orders");
    expect(prod["asyncapi.yaml"]).not.toContain("dev.start-shipping.orders");
    expect(prod["asyncapi.yaml"]).toContain("partitions: 6");
    expect(() => catalogFacts(valid, { stack, partitions: 0 })).toThrow(
      expect.objectContaining({ name: "CatalogOptionsError", message: "partitions must be a whole number of at least 1, got 0; pass --partitions <n> or set ensemble:kafka.partitions." }),
    );
  });

  it("draws every subscription, workflow start, wait completion and violation report as an edge of the graph", () => {
    const graph = topologyGraph(catalogFacts(valid, { stack }));
    const subscriptionCount = groups.reduce((sum, group) => sum + subscriptions(group).size, 0);
    const violationTopics = valid.topics.filter((t) => t.purpose === "violations").length;
    expect(graph.nodes).toHaveLength(valid.contexts.length * 2 + groups.length + violationTopics);
    expect(graph.edges.map((e) => `${e.from} ${e.kind} ${e.to}`)).toContain("group:start-billing starts context:billing");
    expect(graph.edges.map((e) => `${e.from} ${e.kind} ${e.to} ${e.label.join()}`)).toContain("group:billing-correlator completes context:billing completes AwaitDispatch");
    expect(graph.edges).toHaveLength(
      valid.contexts.length + subscriptionCount + groups.filter((g) => g.startWorkflow).length + groups.filter((g) => g.correlates).length + groups.filter((g) => g.checks).length,
    );
  });
});

describe("the catalog check", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensemble-catalog-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports missing and stale files, and nothing once they are written", () => {
    // Prepare
    const missing = compareCatalog(files, dir);
    expect(missing).toEqual({ stale: [], missing: [...CATALOG_FILES], unchanged: [] });

    // Act
    const written = writeCatalog(files, dir);
    const inSync = compareCatalog(files, dir);
    fs.writeFileSync(path.join(dir, "topology.md"), `${files["topology.md"]}edited by hand\n`);
    fs.rmSync(path.join(dir, "index.html"));
    const drifted = compareCatalog(files, dir);

    // Assess
    expect(written.missing).toEqual([...CATALOG_FILES]);
    expect(inSync).toEqual({ stale: [], missing: [], unchanged: [...CATALOG_FILES] });
    expect(CatalogDiff.inSync(inSync)).toBe(true);
    expect(drifted).toEqual({ stale: ["topology.md"], missing: ["index.html"], unchanged: ["asyncapi.yaml"] });
    expect(formatStale(drifted, "catalog")).toEqual([
      "stale: catalog/topology.md differs from what the model generates",
      "missing: catalog/index.html",
    ]);
  });

  it("fails through the CLI with the files and the fix, and passes once npm run catalog has written them", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "commands/catalog.ts"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
      });

    const stale = cli("--check", "--out", dir);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`missing: ${path.relative(PROJECT_ROOT, dir)}/asyncapi.yaml`);
    expect(stale.stderr).toContain("run npm run catalog and commit");

    const write = cli("--out", dir);
    expect(write.status).toBe(0);
    expect(write.stdout).toContain("created");

    const check = cli("--check", "--out", dir);
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "asyncapi.yaml"), "utf8")).toBe(files["asyncapi.yaml"]);
  });

  it("finds the committed catalog/ in sync with the model (what CI's npm run catalog -- --check enforces)", () => {
    const diff = compareCatalog(files, path.join(PROJECT_ROOT, "catalog"));
    if (!CatalogDiff.inSync(diff)) throw new Error(`${formatStale(diff, "catalog").join("\n")}\nRun npm run catalog and commit catalog/.`);
    expect(diff.unchanged).toEqual([...CATALOG_FILES]);
  });
});

describe("the catalog's wire contracts", () => {
  it("match what the runtime writes", () => {
    for (const event of valid.events) expect(names.dataSchema(event.context, event.name, event.version)).toBe(dataSchema(event));
    expect(contracts.CLOUDEVENTS_CONTENT_TYPE).toBe(CLOUDEVENTS_CONTENT_TYPE);
    expect(Object.keys(contracts.DEAD_LETTER_HEADERS)).toEqual(Object.values(DeadLetterHeaders));
    expect([...contracts.POISON_REASONS]).toEqual(Object.values(PoisonReason));
    expect([...contracts.ON_FAILURE_REASONS]).toEqual(Object.values(OnFailureReason));
  });

  it("group subscriptions by topic as the model's plan does (the one infra and the local runtime read)", () => {
    for (const group of groups) {
      const facts = catalogFacts(valid, { stack }).groups.find((g) => g.name === group.name)!;
      const plan = planConsumerGroup(group, stack, defaultStackConfig());
      expect(facts.subscriptions).toEqual(plan.mappings.map(({ context, topic, groupId, types }) => ({ context, topic, groupId, types })));
    }
  });
});
