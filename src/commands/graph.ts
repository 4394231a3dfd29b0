import { Option, type Command as Program } from "commander";
import type { Context } from "../core/context.js";
import { type SuiteOptions } from "../config/locations.js";
import { readFile } from "node:fs/promises";
import { fromImages } from "../engine/build-context.js";
import { dependencyGraph } from "../suite/graph.js";
import { GRAPH_FORMATS, type GraphFormat, graphDot, graphMermaid } from "../suite/graph-picture.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export interface GraphCommandOptions extends SuiteOptions {
  readonly format?: GraphFormat;
}

/**
 * `micropod graph`: the suite's dependency graph as Graphviz DOT or Mermaid, each edge labelled
 * with its condition. Reads the Containerfiles for the FROM edges; changes nothing and, like
 * `plan`, runs anywhere (the bundled sample.env when no .env is found).
 */
export async function graph(ctx: Pick<Context, "redactor" | "out">, opts: GraphCommandOptions): Promise<string> {
  const { suite } = await loadConfigAndSuite(ctx, opts, { allowSample: true });
  // Only the FROM lines matter here: the Containerfiles are read, the contexts not hashed.
  const builds = [...suite.services.values()].filter((s) => s.build);
  const bases = await Promise.all(builds.map(async (s) => [s.name, { bases: fromImages(await readFile(s.build!.dockerfile, "utf8"), s.build!.args) }] as const));
  const g = dependencyGraph(suite, Object.fromEntries(bases));
  const text = (opts.format === "mermaid" ? graphMermaid(suite, g) : graphDot(suite, g)).join("\n");
  ctx.out(text);
  return text;
}

export function registerGraph(program: Program, context: () => Context): void {
  withSuiteOptions(program.command("graph").description("print the suite's dependency graph, each edge with its condition (Graphviz DOT or Mermaid)"))
    .addOption(new Option("--format <format>", "dot (Graphviz) or mermaid").choices(GRAPH_FORMATS).default("dot"))
    .action(async (_opts: GraphCommandOptions, cmd: Program) => {
      await graph(context(), cmd.optsWithGlobals<GraphCommandOptions>());
    });
}
