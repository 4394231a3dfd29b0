import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { repoRoot, runMicropod } from "../support/cli.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * `micropod graph` on the bundled suite: Graphviz must accept the DOT, and both formats must
 * carry exactly the depends_on edges `plan --json` reports, each with its condition.
 */
let dir: string;
let env: string;
/** Every depends_on edge as "from -> to condition", from `plan --json`. */
let waits: string[];
let services: string[];
let buildOnly: string[];

beforeAll(() => {
  dir = tempDir("micropod-graph-");
  env = join(dir, "test.env");
  const sample = readFileSync(resolve(repoRoot, "sample.env"), "utf8");
  writeFileSync(env, sample.replace(/^DATA_DIR=.*$/m, `DATA_DIR=${join(dir, "data")}`).replace(/^LOG_DIR=.*$/m, `LOG_DIR=${join(dir, "log")}`));
  const plan = runMicropod(["plan", "--fresh", "--json", "--env", env], { cwd: dir });
  expect(plan.code).toBe(ExitCode.ok);
  const doc = JSON.parse(plan.stdout) as {
    suite: { services: string[]; buildOnly: string[] };
    startOrder: Array<{ service: string; waitsFor: Array<{ service: string; condition: string }> }>;
  };
  services = doc.suite.services;
  buildOnly = doc.suite.buildOnly;
  waits = doc.startOrder.flatMap((s) => s.waitsFor.map((w) => `${s.service} -> ${w.service} ${w.condition.replace(/^service_/, "")}`)).sort();
  expect(waits.length).toBeGreaterThan(20);
});

const graph = (...args: string[]) => runMicropod(["graph", "--env", env, ...args], { cwd: dir });

describe("micropod graph", () => {
  it("--format dot (the default) is a digraph Graphviz renders, one node per service, each wait labelled with its condition", () => {
    requireTool("dot", "graphviz");
    const r = graph("--format", "dot");
    expect([r.code, r.stderr]).toEqual([ExitCode.ok, ""]);
    expect(graph().stdout).toBe(r.stdout);
    const svg = spawnSync("dot", ["-Tsvg"], { input: r.stdout, encoding: "utf8", timeout: 60_000 });
    expect([svg.status, svg.stderr]).toEqual([0, ""]);
    // Each service is a node of the rendered picture (Graphviz titles a node's group with its name, "-" as &#45;).
    const titles = [...svg.stdout.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]+)<\/title>/g)].map((m) => m[1]!.replaceAll("&#45;", "-"));
    expect(titles.sort()).toEqual([...services].sort());

    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe('digraph "mastodon" {');
    expect(lines.at(-1)).toBe("}");
    const edges = lines.flatMap((l) => {
      const m = /^ {2}"([^"]+)" -> "([^"]+)" \[label="([^"]+)"(, style=dashed, color=grey40)?\];$/.exec(l);
      return m ? [{ from: m[1]!, to: m[2]!, label: m[3]!, image: Boolean(m[4]) }] : [];
    });
    expect(edges.filter((e) => !e.image).map((e) => `${e.from} -> ${e.to} ${e.label}`).sort()).toEqual(waits);
    // Image edges: the sidekiq processes run the mastodon template's image; maintaindb builds FROM it.
    expect(edges.filter((e) => e.image).map((e) => `${e.from} -> ${e.to} ${e.label}`)).toEqual(
      expect.arrayContaining(["web -> mastodon image", "maintaindb -> mastodon FROM", "mastodon -> base-toolchain FROM"]),
    );
    for (const b of buildOnly) expect(lines).toContain(`  "${b}" [style=dashed];`);
  });

  it("--format mermaid is a flowchart: one node per service, each wait an arrow labelled with its condition", () => {
    const r = graph("--format", "mermaid");
    expect([r.code, r.stderr]).toEqual([ExitCode.ok, ""]);
    const [head, ...rest] = r.stdout.trimEnd().split("\n");
    expect(head).toBe("flowchart LR");
    const names = new Map<string, string>();
    const edges: string[] = [];
    const imageEdges: string[] = [];
    for (const l of rest) {
      const node = /^ {2}(s\d+)(?:\["([^"]+)"\]|\("([^"]+)"\))$/.exec(l);
      const edge = /^ {2}(s\d+) (-->|-\.->)\|([^|]+)\| (s\d+)$/.exec(l);
      if (node) names.set(node[1]!, node[2] ?? `${node[3]} (build-only)`);
      else if (edge) (edge[2] === "-->" ? edges : imageEdges).push(`${names.get(edge[1]!)} -> ${names.get(edge[4]!)} ${edge[3]}`);
      else throw new Error(`not a node or an edge: ${l}`);
    }
    expect([...names.values()].sort()).toEqual(services.map((s) => (buildOnly.includes(s) ? `${s} (build-only)` : s)).sort());
    expect(edges.sort()).toEqual(waits);
    expect(imageEdges).toContain("web -> mastodon (build-only) image");
  });

  it("refuses a format it does not write", () => {
    const r = graph("--format", "png");
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toContain("Allowed choices are dot, mermaid");
  });
});
