import type { ValidTopology } from "../model";
import { asyncApiYaml } from "./asyncapi";
import { type CatalogOptions, catalogFacts } from "./catalog-contents";
import { topologyGraph } from "./graph";
import { catalogHtml } from "./html";
import { topologyMarkdown } from "./markdown";
import { mermaidFlowchart } from "./mermaid";

/** The files of `catalog/`, by name. */
export const CATALOG_FILES = ["asyncapi.yaml", "topology.md", "index.html"] as const;
export type CatalogFile = (typeof CATALOG_FILES)[number];

/**
 * Everything the catalog writes, from the validated model alone: same model and options, same
 * bytes (declaration order, no timestamps).
 *
 * @example
 * const files = generateCatalog(validate(topology, { stack: "dev" }), { stack: "dev" });
 * files["asyncapi.yaml"]; // the AsyncAPI 3.0 document
 */
export function generateCatalog(topology: ValidTopology, options: CatalogOptions): Record<CatalogFile, string> {
  const facts = catalogFacts(topology, options);
  const graph = topologyGraph(facts);
  const mermaid = mermaidFlowchart(graph);
  return {
    "asyncapi.yaml": asyncApiYaml(facts),
    "topology.md": topologyMarkdown(facts, mermaid),
    "index.html": catalogHtml(facts, graph, mermaid),
  };
}
