import type { DependencyGraph } from "./graph.js";
import type { Suite } from "./model.js";

/** The formats `micropod graph` writes. */
export const GRAPH_FORMATS = ["dot", "mermaid"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** One edge of the picture: a runtime wait (depends_on, with its condition) or an image a service needs built first. */
export interface PictureEdge {
  readonly from: string;
  readonly to: string;
  /** `healthy`, `started`, `completed_successfully` (optional ones marked), or `image` / `FROM` for build edges. */
  readonly label: string;
  readonly kind: "runtime" | "image";
}

/**
 * The suite's graph as edges pointing from a service to what it waits on: its depends_on edges
 * with their conditions, the build producing its image (when another service builds it), and each
 * build's FROM edges to the builds of its base images. Everything comes from the one graph module.
 */
export function pictureEdges(suite: Suite, graph: DependencyGraph): PictureEdge[] {
  const edges: PictureEdge[] = [];
  for (const name of graph.services) {
    for (const d of graph.dependencies(name)) {
      edges.push({ from: name, to: d.service, label: `${d.condition.replace(/^service_/, "")}${d.required ? "" : " (optional)"}`, kind: "runtime" });
    }
    const builder = graph.imageBuilder(name);
    if (builder !== undefined && builder !== name) edges.push({ from: name, to: builder, label: "image", kind: "image" });
    if (suite.services.get(name)!.build) for (const b of graph.baseBuilders(name)) edges.push({ from: name, to: b, label: "FROM", kind: "image" });
  }
  return edges;
}

const quoted = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;

/** Graphviz DOT: build-only services dashed, image edges dashed and grey, each edge labelled. */
export function graphDot(suite: Suite, graph: DependencyGraph): string[] {
  const lines = [`digraph ${quoted(suite.project)} {`, "  rankdir=LR;", "  node [shape=box];"];
  for (const name of graph.services) lines.push(`  ${quoted(name)}${suite.services.get(name)!.buildOnly ? " [style=dashed]" : ""};`);
  for (const e of pictureEdges(suite, graph)) {
    lines.push(`  ${quoted(e.from)} -> ${quoted(e.to)} [label=${quoted(e.label)}${e.kind === "image" ? ", style=dashed, color=grey40" : ""}];`);
  }
  lines.push("}");
  return lines;
}

/**
 * A Mermaid flowchart: node ids s0, s1, ... (a service name such as `end` would be a keyword),
 * labelled with the service names; build-only services in round brackets, image edges dotted.
 */
export function graphMermaid(suite: Suite, graph: DependencyGraph): string[] {
  const id = new Map(graph.services.map((n, i) => [n, `s${i}`]));
  const lines = ["flowchart LR"];
  for (const name of graph.services) {
    const label = quoted(name);
    lines.push(`  ${id.get(name)}${suite.services.get(name)!.buildOnly ? `(${label})` : `[${label}]`}`);
  }
  for (const e of pictureEdges(suite, graph)) lines.push(`  ${id.get(e.from)} ${e.kind === "image" ? "-.->" : "-->"}|${e.label}| ${id.get(e.to)}`);
  return lines;
}
