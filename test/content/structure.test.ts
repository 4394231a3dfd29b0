import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";

/** Rules of the code's structure (issue 16) that a reader should not have to re-check by hand. */
const root = resolve(import.meta.dirname, "../..");
const scratch = tempDir("micropod-structure-");

const longFunctions = (dir: string, max: number) =>
  spawnSync(process.execPath, [join(root, "scripts", "function-lengths.mjs"), dir, String(max)], { cwd: root, encoding: "utf8" });

const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(root, dir, f));

describe("the code's structure", () => {
  it("no function in src/engine is longer than 80 lines (node scripts/function-lengths.mjs src/engine 80)", () => {
    const r = longFunctions("src/engine", 80);
    expect([r.status, r.stdout]).toEqual([0, ""]);
  });

  it("the length check finds a long function, nested or not", () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join("\n");
    writeFileSync(join(scratch, "long.ts"), `export function outer(): void {\n  const inner = () => {\n${body}\n  };\n  inner();\n}\n`);
    const r = longFunctions(scratch, 80);
    expect(r.status).toBe(1);
    expect(r.stdout.split("\n").map((l) => l.replace(/^.*long\.ts/, "long.ts"))).toEqual(["long.ts:1 outer 90 lines", "long.ts:2 inner 87 lines", ""]);
  });

  it("one context family: only core/context.ts declares a runner or a logger member; the others extend or pick from it", () => {
    const member = /(^|[{;])\s*(readonly\s+)?(runner|logger)\??:\s*(Runner|Logger)\s*[;}]/gm;
    const declaring = sources("src").filter((f) => member.test(readFileSync(f, "utf8")));
    expect(declaring.map((f) => relative(root, f))).toEqual(["src/core/context.ts"]);
  });

  it("one runner: only core/runner.ts imports execa; every other command goes through a Runner", () => {
    const importing = sources("src").filter((f) => /from "execa"/.test(readFileSync(f, "utf8")));
    expect(importing.map((f) => relative(root, f))).toEqual(["src/core/runner.ts"]);
  });

  it("one place for podman's argv: only src/podman/ spells a podman command line", () => {
    const spelling = sources("src").filter((f) => !f.includes("/src/podman/") && /\[\s*"podman"\s*,/.test(readFileSync(f, "utf8")));
    expect(spelling.map((f) => relative(root, f))).toEqual([]);
  });

  it("one meaning per name: no two modules export the same name (node scripts/exported-names.mjs src)", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "exported-names.mjs"), "src"], { cwd: root, encoding: "utf8" });
    expect([r.status, r.stdout]).toEqual([0, ""]);
  });

  it("the name check finds a name two modules export", () => {
    const dir = join(scratch, "names");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a.ts"), "export interface Action { x: number }\nexport const own = 1;\n");
    writeFileSync(join(dir, "b.ts"), 'export type Action = "none";\nexport { own } from "./a.js";\n');
    const r = spawnSync(process.execPath, [join(root, "scripts", "exported-names.mjs"), dir], { cwd: root, encoding: "utf8" });
    expect([r.status, r.stdout]).toEqual([1, "Action: a.ts, b.ts\n"]);
  });
});
