import { EdgeKind, type GraphNode, NodeKind, type TopologyGraph } from "./graph";

/** Node shapes: contexts are rounded boxes, topics cylinders (a log), groups hexagons; the violations topic a red cylinder. */
const SHAPES: Record<NodeKind, readonly [open: string, close: string]> = {
  [NodeKind.Context]: ["(", ")"],
  [NodeKind.Topic]: ["[(", ")]"],
  [NodeKind.Group]: ["{{", "}}"],
  [NodeKind.Violations]: ["[(", ")]"],
};

const CLASS_DEFS: Record<NodeKind, string> = {
  [NodeKind.Context]: "fill:#e8f0fe,stroke:#3b6fd8,stroke-width:2px,color:#10244d",
  [NodeKind.Topic]: "fill:#fff4e0,stroke:#c77d02,stroke-width:2px,color:#4a2e00",
  [NodeKind.Group]: "fill:#e6f4ea,stroke:#2e8b57,stroke-width:2px,color:#0f3320",
  [NodeKind.Violations]: "fill:#fdecea,stroke:#c5221f,stroke-width:2px,color:#5c0f0b",
};

/**
 * The graph as a Mermaid flowchart, left to right: each node declared once on its own line
 * (`id("label")`), then the edges by id (`a -->|"label"| b`), labelled with the event names they carry;
 * workflow-starting groups get a dotted `starts` edge to the context they start, correlators a
 * dotted `completes <state>` edge to the context whose waits they complete, and the invariants
 * group an edge to the violations topic labelled with the invariants it checks.
 */
export function mermaidFlowchart(graph: TopologyGraph): string {
  const ids = mermaidIds(graph.nodes);
  const id = (key: string) => ids.get(key)!;
  const lines = ["flowchart LR"];
  for (const kind of Object.values(NodeKind)) if (graph.nodes.some((n) => n.kind === kind)) lines.push(`  classDef ${kind} ${CLASS_DEFS[kind]}`);
  for (const node of graph.nodes) {
    const [open, close] = SHAPES[node.kind];
    lines.push(`  ${id(node.key)}${open}"${text(node.name)}"${close}:::${node.kind}`);
  }
  for (const edge of graph.edges) {
    const label = edge.label.map(text).join("<br>");
    lines.push(
      edge.kind === EdgeKind.Starts || edge.kind === EdgeKind.Completes
        ? `  ${id(edge.from)} -.->|"${label}"| ${id(edge.to)}`
        : `  ${id(edge.from)} -->|"${label}"| ${id(edge.to)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Mermaid ids: `<kind>_<name>` with everything but letters, digits and `_` turned into `_`.
 * Two names that sanitize alike (`a-b`, `a.b`) get a numeric suffix, in declaration order.
 */
export function mermaidIds(nodes: readonly GraphNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const base = `${node.kind}_${node.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
    used.add(candidate);
    ids.set(node.key, candidate);
  }
  return ids;
}

/** Text inside a quoted Mermaid label: quotes and markup characters as entity codes. */
function text(value: string): string {
  return value.replace(/[#"<>]/g, (c) => `#${c.charCodeAt(0)};`);
}
