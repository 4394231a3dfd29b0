import { readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../../src/core/atomic-write.js";
import { tempDir } from "../../support/temp.js";

const dir = () => tempDir("micropod-atomic-");

describe("writeFileAtomic", () => {
  it("creates a file with the mode asked for, whatever the umask", async () => {
    const d = dir();
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(d, "f"), "hello\n", { mode: 0o644 });
    } finally {
      process.umask(old);
    }
    expect(readFileSync(join(d, "f"), "utf8")).toBe("hello\n");
    expect(statSync(join(d, "f")).mode & 0o777).toBe(0o644);
  });

  it("keeps an existing file's mode and saves a backup of its content", async () => {
    const d = dir();
    const f = join(d, "secrets");
    writeFileSync(f, "old\n");
    chmodSync(f, 0o600);
    const r = await writeFileAtomic(f, "new\n", { backup: true });
    expect(r.backupPath).toBe(`${f}.micropod-backup`);
    expect(readFileSync(f, "utf8")).toBe("new\n");
    expect(readFileSync(`${f}.micropod-backup`, "utf8")).toBe("old\n");
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it("leaves no temp file and the old content when the write fails", async () => {
    const d = dir();
    const f = join(d, "conf");
    writeFileSync(f, "keep\n");
    // A directory in place of a parent makes rename impossible: target path is inside a file.
    await expect(writeFileAtomic(join(f, "child"), "x")).rejects.toThrow();
    expect(readdirSync(d)).toEqual(["conf"]);
    expect(readFileSync(f, "utf8")).toBe("keep\n");
  });

  it("creates parent directories only when asked", async () => {
    const d = dir();
    await expect(writeFileAtomic(join(d, "a", "b"), "x")).rejects.toThrow(/ENOENT/);
    await writeFileAtomic(join(d, "a", "b"), "x", { mkdirs: true });
    expect(readFileSync(join(d, "a", "b"), "utf8")).toBe("x");
  });
});
