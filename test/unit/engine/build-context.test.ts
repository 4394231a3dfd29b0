import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { SuiteError } from "../../../src/core/errors.js";
import { readBuildContext } from "../../../src/engine/build-context.js";
import { parseIgnore } from "../../../src/engine/containerignore.js";
import { tempDir } from "../../support/temp.js";

// Which files podman copies is proven against real podman in test/podman/containerignore.test.ts;
// here: that the build-cache digest follows exactly those files.
let dir: string;
beforeEach(() => {
  dir = tempDir("micropod-context-");
});

const context = () => join(dir, "context");
const write = (path: string, content: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
};
const build = () => ({ context: context(), dockerfile: join(dir, "Containerfile"), args: {} });
const digest = async () => (await readBuildContext(build())).digest;

describe("the build-cache digest covers what podman copies", () => {
  beforeEach(() => {
    write("Containerfile", "FROM localhost/busybox:test\nCOPY . /app\n");
    write("context/app.rb", "puts 1\n");
    write("context/node_modules/pkg/index.js", "x\n");
    write("context/node_modules/pkg/keep.txt", "x\n");
    write("context/.containerignore", "node_modules\n!**/keep.txt\n");
  });

  it("a change to an included file changes it; to a file podman never reaches does not", async () => {
    const first = await digest();
    write("context/node_modules/pkg/keep.txt", "changed\n");
    write("context/node_modules/pkg/index.js", "changed\n");
    expect(await digest()).toBe(first);
    write("context/app.rb", "puts 2\n");
    expect(await digest()).not.toBe(first);
  });

  it("counts files and links, and an added empty directory changes it (podman creates it in the image)", async () => {
    const first = await readBuildContext(build());
    expect(first.files).toBe(2);
    mkdirSync(join(context(), "tmp"));
    expect(await digest()).not.toBe(first.digest);
  });

  it("<Containerfile>.containerignore beside the Containerfile takes over from the context's", async () => {
    const first = await digest();
    write("Containerfile.containerignore", "app.rb\n");
    const withOwn = await digest();
    expect(withOwn).not.toBe(first);
    write("context/app.rb", "puts 2\n");
    expect(await digest()).toBe(withOwn);
  });

  it("a pattern podman refuses is refused with the file and line", async () => {
    write("context/.containerignore", "*.log\n[a-].txt\n");
    const err = await readBuildContext(build()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuiteError);
    expect((err as SuiteError).details).toEqual([`${join(context(), ".containerignore")}:2: pattern "[a-].txt" is not valid: a malformed [...] class`]);
  });
});

describe("parseIgnore keeps podman's reading of each line", () => {
  it("comments, exceptions, cleaning", () => {
    expect(parseIgnore("# comment\n  #hash\n/docs/\n!./docs/keep.md\nsub/../a.txt\n\n").map((p) => [p.line, p.exception, p.pattern])).toEqual([
      [2, false, "#hash"],
      [3, false, "docs"],
      [4, true, "docs/keep.md"],
      [5, false, "a.txt"],
    ]);
  });
});
