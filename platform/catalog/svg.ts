import { EdgeKind, type GraphEdge, type GraphNode, NodeKind, type TopologyGraph } from "./graph";

/**
 * The topology diagram as a standalone SVG, laid out by our own small deterministic layered
 * layout (no mermaid.js, no browser measuring): contexts in the left column, their topics in the
 * middle, consumer groups on the right, in declaration order.
 *
 * - context → topic: a straight edge with the events it publishes in a label;
 * - topic → group: a curve into a port on the group's left side; each port carries a label with
 *   the event names the group receives from that topic, stacked so labels never overlap;
 * - group → context ("starts", and a correlator's "completes"): a dashed edge routed in lanes around the right, bottom and left
 *   of the diagram, so it crosses no node;
 * - the invariants group → the violations topic: a straight edge into a fourth column, right of
 *   those lanes, labelled with the invariants' names (only when the topology declares invariants).
 *
 * Text is monospace, so widths are computed, not measured: the same model gives the same bytes.
 * Every node is a `<g data-node="<kind>:<name>">` linking to its section of the page.
 */

const FONT = `"DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace`;
/** Advance of a monospace glyph per unit of font size (DejaVu Sans Mono: 0.602). */
const CHAR = 0.61;
const TITLE = 13;
const SMALL = 11;
const LINE = 14;
const PAD_X = 16;
const NODE_H = 48;
const TOPIC_H = 56;
const CYLINDER_RY = 7;
const HEX_INSET = 14;
const GROUP_GAP = 18;
const ROW_GAP = 28;
const PILL_PAD_X = 7;
const PILL_PAD_Y = 3;
const PORT_GAP = 6;
const LEAD = 28;
const CURVE = 120;
const LANE = 22;
const MARGIN = 20;
const HEADER_H = 64;

/** Edge colours by context, in declaration order; "starts" edges are always purple. */
export const PALETTE = ["#3b6fd8", "#0f8b7d", "#c0641a", "#b03a6f", "#5b7f1a", "#7a5bc7", "#9a7b00", "#1f7fb0"] as const;
const STARTS_COLOR = "#7b3fb3";
const VIOLATIONS_COLOR = "#c5221f";

/** Scoped to `.topology`, so the SVG looks the same standalone and inline in a page. */
const STYLE = [
  ".topology .column{font-size:12px;font-weight:bold;fill:#5f6b7a;letter-spacing:.04em}",
  ".topology .edge path{fill:none;stroke-width:1.6}",
  ".topology .label rect{fill:#fff;stroke-width:1}",
  ".topology .label text{font-size:11px;fill:#26323f}",
  ".topology .node .shape{stroke-width:2}",
  ".topology .node-context .shape{fill:#e8f0fe;stroke:#3b6fd8}",
  ".topology .node-topic .shape{fill:#fff4e0;stroke:#c77d02}",
  ".topology .node-topic .rim{fill:none;stroke:#c77d02;stroke-width:2}",
  ".topology .node-group .shape{fill:#e6f4ea;stroke:#2e8b57}",
  ".topology .node-violations .shape{fill:#fdecea;stroke:#c5221f}",
  ".topology .node-violations .rim{fill:none;stroke:#c5221f;stroke-width:2}",
  ".topology .node .name{font-size:13px;font-weight:bold;fill:#17202b}",
  ".topology .node .detail{font-size:11px;fill:#4d5966}",
  ".topology .node a:hover .shape,.topology .node a:focus .shape{stroke-width:3.5}",
].join("");

const KIND_LABELS: Record<NodeKind, string> = {
  [NodeKind.Context]: "Bounded contexts",
  [NodeKind.Topic]: "Topics",
  [NodeKind.Group]: "Consumer groups",
  [NodeKind.Violations]: "Violations",
};

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface Port {
  readonly edge: GraphEdge;
  /** Centre of the port on the group's side. */
  readonly y: number;
  readonly pillH: number;
}

export interface SvgOptions {
  /** Where a node links to, e.g. `#group-notify-customer`; no link when it returns undefined. */
  readonly href?: (node: GraphNode) => string | undefined;
  /** The `id` of the root element. @default "topology" */
  readonly id?: string;
}

export function topologySvg(graph: TopologyGraph, options: SvgOptions = {}): string {
  const of = (kind: NodeKind) => graph.nodes.filter((n) => n.kind === kind);
  const contexts = of(NodeKind.Context);
  const topics = of(NodeKind.Topic);
  const groups = of(NodeKind.Group);
  const violations = of(NodeKind.Violations);
  const colorOf = (context: string | undefined) => {
    const index = contexts.findIndex((c) => c.name === context);
    return index < 0 ? STARTS_COLOR : PALETTE[index % PALETTE.length]!;
  };
  const edgeColor = (edge: GraphEdge) =>
    edge.kind === EdgeKind.Reports ? VIOLATIONS_COLOR : edge.kind === EdgeKind.Starts || edge.kind === EdgeKind.Completes ? STARTS_COLOR : colorOf(edge.context);
  const publishes = graph.edges.filter((e) => e.kind === EdgeKind.Publishes);
  const delivers = graph.edges.filter((e) => e.kind === EdgeKind.Delivers);
  // "completes" edges (correlator → waiting context) go the same way as "starts".
  const starts = graph.edges.filter((e) => e.kind === EdgeKind.Starts || e.kind === EdgeKind.Completes);
  const reports = graph.edges.filter((e) => e.kind === EdgeKind.Reports);

  // Column widths and gaps.
  const nodeWidth = (n: GraphNode) => Math.max(width(n.name, TITLE), width(n.detail, SMALL)) + 2 * PAD_X + (n.kind === NodeKind.Group ? 2 * HEX_INSET : 0);
  const columnWidth = (nodes: readonly GraphNode[]) => Math.max(150, ...nodes.map(nodeWidth));
  const wC = columnWidth(contexts);
  const wT = columnWidth(topics);
  const wG = columnWidth(groups);
  const publishPillW = Math.max(0, ...publishes.map((e) => pillWidth(e.label)));
  const deliverPillW = Math.max(0, ...delivers.map((e) => pillWidth(e.label)));
  const gap1 = Math.max(120, publishPillW + 2 * LEAD);
  const gap2 = CURVE + deliverPillW + LEAD + 10;
  const lanes = starts.length;
  const left = MARGIN + (lanes > 0 ? lanes * LANE + 12 : 0);
  const xC = left;
  const xT = xC + wC + gap1;
  const xG = xT + wT + gap2;
  const lanesRight = xG + wG + (lanes > 0 ? lanes * LANE + 12 : 0);
  // The violations column, past the lanes so its edge's label sits clear of them.
  const wV = violations.length > 0 ? columnWidth(violations) : 0;
  const gap3 = Math.max(0, ...reports.map((e) => pillWidth(e.label) + 2 * LEAD));
  const xV = lanesRight + gap3;
  const right = (violations.length > 0 ? xV + wV : lanesRight) + MARGIN;
  const top = MARGIN + HEADER_H;

  // Groups: stacked; each tall enough for its ports.
  const portsOf = (group: GraphNode) => delivers.filter((e) => e.to === group.key);
  const stackHeight = (edges: readonly GraphEdge[]) => edges.reduce((sum, e) => sum + pillHeight(e.label), 0) + Math.max(0, edges.length - 1) * PORT_GAP;
  const groupHeights = groups.map((g) => Math.max(NODE_H, stackHeight(portsOf(g)) + 2 * 8));
  const groupsH = groupHeights.reduce((a, b) => a + b, 0) + Math.max(0, groups.length - 1) * GROUP_GAP;

  // Contexts and their topics share rows, spread over the height of the groups column.
  const rowHeight = (c: GraphNode) => Math.max(TOPIC_H, ...publishes.filter((e) => e.from === c.key).map((e) => pillHeight(e.label))) + ROW_GAP;
  const rowsH = contexts.reduce((sum, c) => sum + rowHeight(c), 0);
  const contentH = Math.max(groupsH, rowsH, NODE_H);

  const boxes = new Map<string, Box>();
  let cursor = top + (contentH - groupsH) / 2;
  groups.forEach((g, i) => {
    boxes.set(g.key, { x: xG, y: cursor, w: wG, h: groupHeights[i]! });
    cursor += groupHeights[i]! + GROUP_GAP;
  });
  contexts.forEach((c, i) => {
    const centre = top + (contentH * (i + 0.5)) / contexts.length;
    boxes.set(c.key, { x: xC, y: centre - NODE_H / 2, w: wC, h: NODE_H });
    const topic = publishes.find((e) => e.from === c.key)?.to;
    if (topic) boxes.set(topic, { x: xT, y: centre - TOPIC_H / 2, w: wT, h: TOPIC_H });
  });
  // The violations topic level with the group that reports to it: a straight edge.
  for (const edge of reports) {
    const from = boxes.get(edge.from);
    if (from) boxes.set(edge.to, { x: xV, y: from.y + from.h / 2 - TOPIC_H / 2, w: wV, h: TOPIC_H });
  }
  // A topic no context publishes to cannot happen in a valid topology; place any leftovers anyway.
  topics.filter((t) => !boxes.has(t.key)).forEach((t, i) => boxes.set(t.key, { x: xT, y: top + i * (TOPIC_H + ROW_GAP), w: wT, h: TOPIC_H }));
  const box = (key: string) => boxes.get(key)!;

  // Ports on each group's left side, in the order the group's subscriptions are declared.
  const ports = new Map<GraphEdge, Port>();
  for (const group of groups) {
    const b = box(group.key);
    const edges = portsOf(group);
    let y = b.y + b.h / 2 - stackHeight(edges) / 2;
    for (const edge of edges) {
      const pillH = pillHeight(edge.label);
      ports.set(edge, { edge, y: y + pillH / 2, pillH });
      y += pillH + PORT_GAP;
    }
  }

  const bottom = top + contentH;
  const height = bottom + (lanes > 0 ? lanes * LANE + 24 : 0) + MARGIN;
  const colors = [...new Set(graph.edges.map(edgeColor))];

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="${attr(options.id ?? "topology")}" class="topology" viewBox="0 0 ${num(right)} ${num(height)}" width="${num(right)}" height="${num(height)}" role="img" aria-labelledby="${attr(options.id ?? "topology")}-title" font-family="${attr(FONT)}">`,
    `<title id="${attr(options.id ?? "topology")}-title">Topology: ${contexts.length} contexts, ${topics.length} topics, ${groups.length} consumer groups${violations.length > 0 ? ", the violations topic" : ""}</title>`,
    `<style>${STYLE}</style>`,
    `<defs>`,
    ...colors.map(
      (color) =>
        `<marker id="arrow-${color.slice(1)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`,
    ),
    `</defs>`,
  );
  out.push(...header([
    [NodeKind.Context, xC, wC],
    [NodeKind.Topic, xT, wT],
    [NodeKind.Group, xG, wG],
    ...(violations.length > 0 ? [[NodeKind.Violations, xV, wV] as const] : []),
  ]));

  // Edges first, so nodes and labels sit on top of them.
  for (const edge of publishes) {
    const from = box(edge.from);
    const to = box(edge.to);
    const y = from.y + from.h / 2;
    const color = colorOf(edge.context);
    const x1 = from.x + from.w;
    const x2 = to.x;
    out.push(
      `<g class="edge edge-${edge.kind}" data-edge="${attr(`${edge.from}->${edge.to}`)}">`,
      `<path d="M${num(x1)},${num(y)} L${num(x2 - 1)},${num(y)}" stroke="${color}" marker-end="url(#arrow-${color.slice(1)})"/>`,
      pill((x1 + x2) / 2 - pillWidth(edge.label) / 2, y - pillHeight(edge.label) / 2, edge.label, color),
      `</g>`,
    );
  }

  for (const topic of topics) {
    const b = box(topic.key);
    const outgoing = delivers.filter((e) => e.from === topic.key).sort((p, q) => ports.get(p)!.y - ports.get(q)!.y);
    const spread = outgoing.length > 1 ? Math.min(8, (b.h - 2 * CYLINDER_RY - 12) / (outgoing.length - 1)) : 0;
    outgoing.forEach((edge, i) => {
      const port = ports.get(edge)!;
      const target = box(edge.to);
      const color = colorOf(edge.context);
      const sx = b.x + b.w;
      const sy = b.y + b.h / 2 + (i - (outgoing.length - 1) / 2) * spread;
      const bend = xG - deliverPillW - LEAD - 10;
      const ex = hexEdgeX(target, port.y);
      const pillW = pillWidth(edge.label);
      out.push(
        `<g class="edge edge-${edge.kind}" data-edge="${attr(`${edge.from}->${edge.to}`)}">`,
        `<path d="M${num(sx)},${num(sy)} C${num(sx + CURVE / 2)},${num(sy)} ${num(bend - CURVE / 2)},${num(port.y)} ${num(bend)},${num(port.y)} L${num(ex - 1)},${num(port.y)}" stroke="${color}" marker-end="url(#arrow-${color.slice(1)})"/>`,
        pill(xG - 10 - pillW, port.y - port.pillH / 2, edge.label, color),
        `</g>`,
      );
    });
  }

  // "starts": lowest group on the innermost lane, so lanes never cross each other.
  const ordered = [...starts].sort((p, q) => box(q.from).y - box(p.from).y);
  ordered.forEach((edge, lane) => {
    const from = box(edge.from);
    const to = box(edge.to);
    const sx = from.x + from.w;
    const sy = from.y + from.h / 2;
    const rx = xG + wG + 12 + lane * LANE + LANE / 2;
    const by = bottom + 12 + lane * LANE + LANE / 2;
    const lx = xC - 12 - lane * LANE - LANE / 2;
    const entering = ordered.filter((e) => e.to === edge.to);
    const ty = to.y + to.h / 2 + (entering.indexOf(edge) - (entering.length - 1) / 2) * 10;
    const label = edge.label;
    const labelX = (xT + wT / 2) - pillWidth(label) / 2 + (lane - (ordered.length - 1) / 2) * (pillWidth(label) + 16);
    out.push(
      `<g class="edge edge-${edge.kind}" data-edge="${attr(`${edge.from}->${edge.to}`)}">`,
      `<path d="${roundedPath([
        [sx, sy],
        [rx, sy],
        [rx, by],
        [lx, by],
        [lx, ty],
        [to.x - 1, ty],
      ])}" stroke="${STARTS_COLOR}" stroke-dasharray="6 4" marker-end="url(#arrow-${STARTS_COLOR.slice(1)})"/>`,
      pill(labelX, by - pillHeight(label) / 2, label, STARTS_COLOR),
      `</g>`,
    );
  });

  for (const edge of reports) {
    const from = box(edge.from);
    const y = from.y + from.h / 2;
    const pillW = pillWidth(edge.label);
    out.push(
      `<g class="edge edge-${edge.kind}" data-edge="${attr(`${edge.from}->${edge.to}`)}">`,
      `<path d="M${num(from.x + from.w)},${num(y)} L${num(xV - 1)},${num(y)}" stroke="${VIOLATIONS_COLOR}" marker-end="url(#arrow-${VIOLATIONS_COLOR.slice(1)})"/>`,
      pill(lanesRight + (gap3 - pillW) / 2, y - pillHeight(edge.label) / 2, edge.label, VIOLATIONS_COLOR),
      `</g>`,
    );
  }

  for (const node of graph.nodes) out.push(nodeMarkup(node, box(node.key), options.href?.(node)));
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}

function header(columns: readonly (readonly [kind: NodeKind, x: number, w: number])[]): string[] {
  const y = MARGIN + 18;
  return [
    `<g class="columns">`,
    ...columns.map(([kind, x, w]) => `<text class="column" x="${num(x + w / 2)}" y="${num(y)}" text-anchor="middle">${text(KIND_LABELS[kind])}</text>`),
    `</g>`,
  ];
}

function nodeMarkup(node: GraphNode, b: Box, href: string | undefined): string {
  const cx = b.x + b.w / 2;
  const cylinder = node.kind === NodeKind.Topic || node.kind === NodeKind.Violations;
  const cy = b.y + b.h / 2 + (cylinder ? CYLINDER_RY / 2 : 0);
  const title = node.description ? `${node.name}: ${node.description}` : node.name;
  const inner = [
    shape(node.kind, b),
    `<text class="name" x="${num(cx)}" y="${num(cy - 3)}" text-anchor="middle">${text(node.name)}</text>`,
    `<text class="detail" x="${num(cx)}" y="${num(cy + 13)}" text-anchor="middle">${text(node.detail)}</text>`,
  ];
  const body = href ? [`<a href="${attr(href)}">`, ...inner, `</a>`] : inner;
  return [`<g class="node node-${node.kind}" data-node="${attr(node.key)}">`, `<title>${text(title)}</title>`, ...body, `</g>`].join("\n");
}

function shape(kind: NodeKind, b: Box): string {
  const { x, y, w, h } = b;
  switch (kind) {
    case NodeKind.Context:
      return `<rect class="shape" x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" rx="10"/>`;
    case NodeKind.Topic:
    case NodeKind.Violations: {
      const rx = w / 2;
      const ry = CYLINDER_RY;
      const body = `M${num(x)},${num(y + ry)} L${num(x)},${num(y + h - ry)} A${num(rx)},${ry} 0 0 0 ${num(x + w)},${num(y + h - ry)} L${num(x + w)},${num(y + ry)} A${num(rx)},${ry} 0 0 0 ${num(x)},${num(y + ry)} Z`;
      const rim = `M${num(x)},${num(y + ry)} A${num(rx)},${ry} 0 0 0 ${num(x + w)},${num(y + ry)}`;
      return `<path class="shape" d="${body}"/><path class="rim" d="${rim}"/>`;
    }
    case NodeKind.Group: {
      const cy = y + h / 2;
      const points = [
        [x, cy],
        [x + HEX_INSET, y],
        [x + w - HEX_INSET, y],
        [x + w, cy],
        [x + w - HEX_INSET, y + h],
        [x + HEX_INSET, y + h],
      ];
      return `<polygon class="shape" points="${points.map(([px, py]) => `${num(px!)},${num(py!)}`).join(" ")}"/>`;
    }
  }
}

/** Where a horizontal line at `y` meets the slanted left side of a group's hexagon. */
function hexEdgeX(b: Box, y: number): number {
  const half = b.h / 2;
  return b.x + (HEX_INSET * Math.min(half, Math.abs(y - (b.y + half)))) / half;
}

function pill(x: number, y: number, lines: readonly string[], color: string): string {
  const w = pillWidth(lines);
  const h = pillHeight(lines);
  const texts = lines.map((line, i) => `<text x="${num(x + PILL_PAD_X)}" y="${num(y + PILL_PAD_Y + LINE * i + 11)}">${text(line)}</text>`);
  return [`<g class="label">`, `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" rx="4" stroke="${color}"/>`, ...texts, `</g>`].join("\n");
}

/** A polyline with rounded corners. */
function roundedPath(points: readonly (readonly [number, number])[], radius = 8): string {
  const [first, ...rest] = points;
  let d = `M${num(first![0])},${num(first![1])}`;
  for (let i = 0; i < rest.length; i++) {
    const [x, y] = rest[i]!;
    const next = rest[i + 1];
    if (!next) {
      d += ` L${num(x)},${num(y)}`;
      break;
    }
    const [px, py] = i === 0 ? first! : rest[i - 1]!;
    const r = Math.min(radius, Math.hypot(x - px, y - py) / 2, Math.hypot(next[0] - x, next[1] - y) / 2);
    const [ix, iy] = towards([x, y], [px, py], r);
    const [ox, oy] = towards([x, y], next, r);
    d += ` L${num(ix)},${num(iy)} Q${num(x)},${num(y)} ${num(ox)},${num(oy)}`;
  }
  return d;
}

function towards(from: readonly [number, number], to: readonly [number, number], distance: number): [number, number] {
  const length = Math.hypot(to[0] - from[0], to[1] - from[1]) || 1;
  return [from[0] + ((to[0] - from[0]) * distance) / length, from[1] + ((to[1] - from[1]) * distance) / length];
}

const width = (value: string, size: number) => Array.from(value).length * CHAR * size;
const pillWidth = (lines: readonly string[]) => Math.max(0, ...lines.map((l) => width(l, SMALL))) + 2 * PILL_PAD_X;
const pillHeight = (lines: readonly string[]) => lines.length * LINE + 2 * PILL_PAD_Y;

/** Coordinates with at most one decimal, `-0` as `0`: stable text for the same layout. */
function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
}

function text(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function attr(value: string): string {
  return text(value).replace(/"/g, "&quot;");
}
