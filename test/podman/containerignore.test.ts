import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { contextEntries } from "../../src/engine/build-context.js";
import { readIgnoreFile } from "../../src/engine/containerignore.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";

/**
 * The build cache hashes what micropod believes podman copies from a build context. Here real
 * podman builds `COPY . /ctx` from a context with an ignore file, and the entries it copied
 * (read from the image's mounted root) must be exactly the ones micropod lists, for patterns
 * chosen where podman's rules are not the obvious ones.
 */
let sb: PodmanSandbox;
let base: string;

beforeAll(() => {
  sb = createPodmanSandbox();
  base = sb.busyboxImage();
});

const TREE = [
  "a.txt", "b.txt", "ab.txt", "aab.txt", "a+b.txt", "file1.txt", "file(1).txt", "#hash.txt", ".hidden", "b.log",
  "docs/readme.md", "docs/keep.md", "docs/sub/x.md",
  "sub/b.log", "sub/deep/c.txt", "sub/deep/d.log",
  "node_modules/pkg/index.js", "node_modules/pkg/keep.txt",
  "build/out.bin", "build/keep/this.txt",
];

type Entries = Map<string, "file" | "link" | "dir" | "other">;

/** A fresh context (the tree, two symlinks, an empty directory) with the given extra files; the Containerfile beside it. */
function makeContext(name: string, inContext: Record<string, string>, besideContainerfile: Record<string, string> = {}) {
  const dir = join(sb.root, "cases", name);
  const context = join(dir, "context");
  for (const f of TREE) write(join(context, f), `${f}\n`);
  symlinkSync("a.txt", join(context, "link"));
  symlinkSync("../docs", join(context, "sub", "dirlink"));
  mkdirSync(join(context, "emptydir"));
  for (const [f, content] of Object.entries(inContext)) write(join(context, f), content);
  const containerfile = join(dir, "Containerfile");
  write(containerfile, `FROM ${base}\nCOPY . /ctx\n`);
  for (const [suffix, content] of Object.entries(besideContainerfile)) write(`${containerfile}${suffix}`, content);
  return { context, containerfile };
}

function write(path: string, content: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** What podman copied: every entry under /ctx of the built image. */
function podmanCopied(tag: string, context: string, containerfile: string): Entries {
  sb.podman(["build", "--quiet", "--file", containerfile, "--tag", tag, context]);
  const root = sb.podman(["image", "mount", tag]).trim();
  try {
    const found: Entries = new Map();
    const visit = (rel: string) => {
      for (const name of readdirSync(join(root, "ctx", rel))) {
        const path = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(root, "ctx", path));
        found.set(path, st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : st.isFile() ? "file" : "other");
        if (st.isDirectory()) visit(path);
      }
    };
    visit("");
    return found;
  } finally {
    sb.podman(["image", "unmount", tag]);
    sb.podman(["rmi", "--force", tag]);
  }
}

/** What micropod hashes, plus the directories that holding those entries creates in the image. */
async function micropodCopies(context: string, containerfile: string): Promise<Entries> {
  const patterns = await readIgnoreFile(context, containerfile);
  const found: Entries = new Map();
  for (const e of await contextEntries(context, patterns)) {
    found.set(e.path, e.kind);
    for (let d = dirname(e.path); d !== "."; d = dirname(d)) if (!found.has(d)) found.set(d, "dir");
  }
  return found;
}

const sorted = (m: Entries) => [...m].map(([p, k]) => `${k} ${p}`).sort();

/** Files and links of the context that were not copied. */
async function leftOut(context: string, copied: Entries): Promise<string[]> {
  const all = await contextEntries(context, []);
  return all.filter((e) => e.kind !== "dir" && !copied.has(e.path)).map((e) => e.path).sort();
}

describe("podman's .containerignore, against micropod's build-context walk", () => {
  it.each([
    // [case, .containerignore, what podman leaves out]
    ["*.log matches at the root only", "*.log\n", ["b.log"]],
    ["**/*.log matches at any depth", "**/*.log\n", ["b.log", "sub/b.log", "sub/deep/d.log"]],
    ["**.log without a slash matches only names that are .log", "**.log\n", []],
    ["leading and trailing slashes, ./ and .. are cleaned away", "/docs/\n./b.log\nsub/../a.txt\n", ["a.txt", "b.log", "docs/keep.md", "docs/readme.md", "docs/sub/x.md"]],
    ["an exception re-includes a file under an excluded directory", "docs\n!docs/keep.md\n", ["docs/readme.md", "docs/sub/x.md"]],
    ["an exception that does not start with the directory is never reached", "node_modules\n!**/keep.txt\n", ["node_modules/pkg/index.js", "node_modules/pkg/keep.txt"]],
    ["an exception before the exclusion loses", "!docs/keep.md\ndocs\n", ["docs/keep.md", "docs/readme.md", "docs/sub/x.md"]],
    ["exclude everything, then bring back a file and a directory", "*\n!a.txt\n!docs\n", ["#hash.txt", ".containerignore", ".hidden", "a+b.txt", "aab.txt", "ab.txt", "b.log", "b.txt", "build/keep/this.txt", "build/out.bin", "file(1).txt", "file1.txt", "link", "node_modules/pkg/index.js", "node_modules/pkg/keep.txt", "sub/b.log", "sub/deep/c.txt", "sub/deep/d.log", "sub/dirlink"]],
    ["# in the first column is a comment, an indented one a pattern", "#a.txt\n  #hash.txt\n", ["#hash.txt"]],
    ["regexp characters other than . and $ keep their meaning", "file(1).txt\na+b.txt\n", ["aab.txt", "ab.txt", "file1.txt"]],
    ["[ab] is a class, ? one character", "[ab].txt\n?.log\n", ["a.txt", "b.log", "b.txt"]],
    ["** between segments spans zero or more directories", "sub/**/*.log\n", ["sub/b.log", "sub/deep/d.log"]],
    ["dir/* then !dir/keep keeps the subdirectory", "build/*\n!build/keep\n", ["build/out.bin"]],
    ["the ignore file itself and symlinks can be left out", ".containerignore\nlink\nsub/dirlink\n", [".containerignore", "link", "sub/dirlink"]],
    ["surrounding white space and CRLF line ends are trimmed", "a.txt   \r\n\tb.txt\r\n", ["a.txt", "b.txt"]],
    ["a byte-order mark starting a pattern is skipped", "\ufeffa.txt\nb.txt\n", ["a.txt", "b.txt"]],
    ["a backslash escapes the next character", "\\#hash.txt\nfile\\(1\\).txt\n", ["#hash.txt", "file(1).txt"]],
  ])("%s", async (name, ignore, expected) => {
    const { context, containerfile } = makeContext(name.replace(/\W+/g, "-"), { ".containerignore": ignore });
    const copied = podmanCopied("localhost/ignore-case:latest", context, containerfile);
    expect(await leftOut(context, copied)).toEqual(expected);
    expect(sorted(await micropodCopies(context, containerfile))).toEqual(sorted(copied));
  });

  it.each([
    ["the context's .containerignore over its .dockerignore", { ".containerignore": "a.txt\n", ".dockerignore": "b.txt\n" }, {}, ["a.txt"]],
    ["a .dockerignore alone", { ".dockerignore": "sub\n" }, {}, ["sub/b.log", "sub/deep/c.txt", "sub/deep/d.log", "sub/dirlink"]],
    ["<Containerfile>.containerignore over the context's", { ".containerignore": "a.txt\n" }, { ".containerignore": "b.log\n" }, ["b.log"]],
    ["<Containerfile>.dockerignore over <Containerfile>.containerignore", {}, { ".containerignore": "b.log\n", ".dockerignore": "docs\n" }, ["docs/keep.md", "docs/readme.md", "docs/sub/x.md"]],
  ])("which ignore file: %s", async (name, inContext, beside, expected) => {
    const { context, containerfile } = makeContext(name.replace(/\W+/g, "-"), inContext, beside);
    const copied = podmanCopied("localhost/ignore-file:latest", context, containerfile);
    expect(await leftOut(context, copied)).toEqual(expected);
    expect(sorted(await micropodCopies(context, containerfile))).toEqual(sorted(copied));
  });

  it.each([
    ["!", 'a lone "!" excludes nothing'],
    ["[ab", "a malformed [...] class"],
    ["[a-].txt", "a malformed [...] class"],
    ["[]a]", "a malformed [...] class"],
    ["a.txt\\", "it ends in an escaping backslash"],
  ])("podman refuses the pattern %s, and so does micropod", async (pattern, why) => {
    const { context, containerfile } = makeContext(`bad-${pattern.replace(/\W+/g, "-")}`, { ".containerignore": `a.txt\n${pattern}\n` });
    expect(() => podmanCopied("localhost/ignore-bad:latest", context, containerfile)).toThrow(/Command failed: podman build/);
    await expect(readIgnoreFile(context, containerfile)).rejects.toMatchObject({
      message: `${join(context, ".containerignore")}: podman build would refuse this ignore file`,
      details: [`${join(context, ".containerignore")}:2: pattern ${JSON.stringify(pattern)} is not valid: ${why}`],
    });
  });

  it("an empty directory is copied, so it is part of what micropod hashes", async () => {
    const { context, containerfile } = makeContext("empty-dir", {});
    const copied = podmanCopied("localhost/ignore-empty:latest", context, containerfile);
    expect(copied.get("emptydir")).toBe("dir");
    expect((await micropodCopies(context, containerfile)).get("emptydir")).toBe("dir");
  });
});
