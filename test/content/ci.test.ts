import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { requireTool } from "../support/require-tool.js";

/**
 * A fresh machine runs what the README says and nothing else: `.ci/run` is exactly the README's
 * two commands, `npm test` installs every Debian package a test asks for, and nothing in the
 * repository reaches outside it.
 */
const repo = resolve(import.meta.dirname, "../..");
const text = (p: string) => readFileSync(join(repo, p), "utf8");
/** Command lines of a shell text: comments, blank lines and the script's own setup left out. */
const commands = (sh: string) =>
  sh
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !/^set -|^cd "\$\(dirname/.test(l));

describe("CI and a fresh machine", () => {
  it(".ci/run runs exactly the README's commands", () => {
    const readme = /```sh\n([\s\S]*?)```/.exec(text("README.md"))![1]!;
    expect(commands(readme)).toEqual(["npm ci && npx micropod plan", "npm test"]);
    // bash's `set -e` ignores a failure before `&&`, so CI's copy of an `a && b` line ends in
    // `|| exit $?`: a failed `npm ci` must stop CI, not run the tests on a half-installed tree.
    const ci = commands(text(".ci/run"));
    expect(ci.filter((l) => l.includes("&&")).every((l) => l.endsWith(" || exit $?"))).toBe(true);
    expect(ci.map((l) => l.replace(/ \|\| exit \$\?$/, ""))).toEqual(commands(readme));
    expect(statSync(join(repo, ".ci/run")).mode & 0o111).not.toBe(0);
  });

  it("npm test first installs every Debian package a test requires, with --no-install-recommends", () => {
    const pkg = JSON.parse(text("package.json")) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe("sh scripts/install-test-deps.sh");
    const script = text("scripts/install-test-deps.sh");
    expect(script).toContain("apt-get install -y -qq --no-install-recommends $missing");
    const installed = /^packages="([^"]+)"$/m.exec(script)![1]!.split(" ");
    const required = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(/requireTool\("[^"]+", "([^"]+)"\)/g)) required.add(m[1]!);
      }
    };
    walk(join(repo, "test"));
    expect(required.size).toBeGreaterThan(5);
    expect([...required].filter((p) => !installed.includes(p))).toEqual([]);
    // netavark cannot start a container without iptables; --no-install-recommends leaves it out.
    expect(installed).toEqual(expect.arrayContaining(["podman", "netavark", "iptables"]));
  });

  it("nothing in the repository points at files outside it", () => {
    requireTool("git", "git");
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: repo, encoding: "utf8" }).split("\0").filter(Boolean);
    const outside = ["..", "shared"].join("/");
    const hits = tracked.filter((f) => !/\.(png|jpg|gz|tar)$/.test(f) && readFileSync(join(repo, f), "utf8").includes(outside));
    expect(hits.map((f) => relative(repo, join(repo, f)))).toEqual([]);
  });
});
