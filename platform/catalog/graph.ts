import type { CatalogFacts } from "./catalog-contents";

/**
 * The topology as a diagram: contexts → their topics → consumer groups, a "starts" edge from
 * each workflow-starting group to the context it starts, and a "completes" edge from each
 * correlator to the context whose wait states it completes (labelled with those states), so an
 * awaited event reads as topic → correlator → waiting state. Mermaid and the SVG both draw
 * this graph, so they always show the same nodes and edges.
 *
 * Dead-letter topics are not nodes: each group has exactly one, so it is written on the group
 * (and listed in the tables) rather than doubling the topic column with dead ends.
 *
 * Invariants add one node and one edge, not one per invariant: the `invariants` group already
 * receives every event they read (its delivery edges say which), so what is left to draw is
 * where it reports, the violations topic, on an edge labelled with the invariants' names.
 */
export const NodeKind = { Context: "context", Topic: "topic", Group: "group", Violations: "violations" } as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

export const EdgeKind = { Publishes: "publishes", Delivers: "delivers", Starts: "starts", Completes: "completes", Reports: "reports" } as const;
export type EdgeKind = (typeof EdgeKind)[keyof typeof EdgeKind];

export interface GraphNode {
  /** `<kind>:<name>`, unique; the `data-node` of the SVG. */
  readonly key: string;
  readonly kind: NodeKind;
  readonly name: string;
  /** A short second line: what is worth knowing at a glance. */
  readonly detail: string;
  /** Longer text for tooltips. */
  readonly description: string | undefined;
  /** The context whose colour the node's edges take (its own for contexts and topics). */
  readonly context: string | undefined;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** One entry per line: the event names carried, "starts", "completes <state>", or the invariants reported on. */
  readonly label: readonly string[];
  /** The context whose events the edge carries (the started one for "starts"); undefined for "reports". */
  readonly context: string | undefined;
}

export interface TopologyGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export const nodeKey = (kind: NodeKind, name: string) => `${kind}:${name}`;

export function topologyGraph(facts: CatalogFacts): TopologyGraph {
  const nodes: GraphNode[] = [
    ...facts.contexts.map((c) => ({
      key: nodeKey(NodeKind.Context, c.name),
      kind: NodeKind.Context,
      name: c.name,
      detail: `${plural(c.events.length, "event")} · ${plural(c.tasks.length, "task")}`,
      description: c.description,
      context: c.name,
    })),
    ...facts.contexts.map((c) => ({
      key: nodeKey(NodeKind.Topic, c.topic),
      kind: NodeKind.Topic,
      name: c.topic,
      detail: plural(facts.topics.find((t) => t.name === c.topic)?.partitions ?? facts.partitions, "partition"),
      description: `Topic of the ${c.name} context.`,
      context: c.name,
    })),
    ...facts.groups.map((g) => ({
      key: nodeKey(NodeKind.Group, g.name),
      kind: NodeKind.Group,
      name: g.name,
      detail: `DLQ ${g.deadLetterTopic}`,
      description: g.description,
      context: undefined,
    })),
    ...facts.topics
      .filter((t) => t.purpose === "violations")
      .map((t) => ({
        key: nodeKey(NodeKind.Violations, t.name),
        kind: NodeKind.Violations,
        name: t.name,
        detail: plural(facts.invariants.length, "invariant"),
        description: `Violations of ${facts.invariants.map((i) => i.name).join(", ")}, reported by the ${t.owner} group.`,
        context: undefined,
      })),
  ];
  const short = (type: string) => type.slice(type.indexOf(".") + 1);
  const edges: GraphEdge[] = [
    ...facts.contexts.map((c) => ({
      from: nodeKey(NodeKind.Context, c.name),
      to: nodeKey(NodeKind.Topic, c.topic),
      kind: EdgeKind.Publishes,
      label: c.events.map((e) => e.name),
      context: c.name,
    })),
    ...facts.groups.flatMap((g) =>
      g.subscriptions.map((s) => ({
        from: nodeKey(NodeKind.Topic, s.topic),
        to: nodeKey(NodeKind.Group, g.name),
        kind: EdgeKind.Delivers,
        label: s.types.map(short),
        context: s.context,
      })),
    ),
    ...facts.groups.flatMap((g) =>
      g.startsWorkflow
        ? [{ from: nodeKey(NodeKind.Group, g.name), to: nodeKey(NodeKind.Context, g.startsWorkflow), kind: EdgeKind.Starts, label: ["starts"], context: g.startsWorkflow }]
        : [],
    ),
    ...facts.contexts.flatMap((c) => {
      const correlator = c.waits[0]?.correlator;
      return correlator
        ? [{ from: nodeKey(NodeKind.Group, correlator), to: nodeKey(NodeKind.Context, c.name), kind: EdgeKind.Completes, label: c.waits.map((w) => `completes ${w.state}`), context: c.name }]
        : [];
    }),
    ...facts.groups.flatMap((g) =>
      g.checksInvariants
        ? [{ from: nodeKey(NodeKind.Group, g.name), to: nodeKey(NodeKind.Violations, g.checksInvariants.violationTopic), kind: EdgeKind.Reports, label: g.checksInvariants.invariants, context: undefined }]
        : [],
    ),
  ];
  return { nodes, edges };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
