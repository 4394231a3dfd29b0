import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every test makes its temp directories with test/support/temp.ts, inside its file's own
 * directory, where test/support/per-file.ts finds anything left behind. A directory made from
 * tmpdir() or at a literal /var/tmp path elsewhere would escape that check (it is what left
 * dozens of micropod-* directories in /var/tmp): this keeps the one way the only way. (Paths
 * like /tmp/ready inside a container are no business of this machine's and stay allowed.)
 */
const repo = resolve(import.meta.dirname, "..", "..");
const testFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : /\.(ts|mts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []));

const RULES: Array<[RegExp, string]> = [
  [/\btmpdir\s*\(/, "calls tmpdir(): use tempDir() from test/support/temp.ts"],
  [/mkdtemp(Sync)?\(\s*["'`]\//, "makes a temp directory at an absolute path: use tempDir() from test/support/temp.ts"],
  [/["'`]\/var\/tmp\b/, "names /var/tmp: make temp directories with tempDir() from test/support/temp.ts"],
];

describe("test hygiene", () => {
  it("no test outside test/support makes its own temp directory", () => {
    const found: string[] = [];
    for (const file of testFiles(join(repo, "test"))) {
      const rel = relative(repo, file);
      if (rel.startsWith("test/support/") || rel === "test/content/test-hygiene.test.ts") continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const [re, why] of RULES) if (re.test(line)) found.push(`${rel}:${i + 1}: ${why}`);
        });
    }
    expect(found).toEqual([]);
  });
});
