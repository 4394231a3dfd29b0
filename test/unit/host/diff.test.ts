import { describe, expect, it } from "vitest";
import { diffLines } from "../../../src/host/diff.js";

const numbered = (n: number, change: Record<number, string> = {}) => Array.from({ length: n }, (_, i) => change[i + 1] ?? `line ${i + 1}`).join("\n") + "\n";

describe("diffLines: the unified diff --check prints for a file", () => {
  it("a new file is one hunk from /dev/null", () => {
    expect(diffLines("/etc/x.conf", undefined, "a\nb\n")).toEqual(["--- /dev/null", "+++ /etc/x.conf", "@@ -0,0 +1,2 @@", "+a", "+b"]);
  });

  it("changes far apart get a hunk each, with three lines of context and line numbers", () => {
    expect(diffLines("/etc/x.conf", numbered(20), numbered(20, { 2: "two", 18: "eighteen" }))).toEqual([
      "--- /etc/x.conf",
      "+++ /etc/x.conf",
      "@@ -1,5 +1,5 @@",
      " line 1",
      "-line 2",
      "+two",
      " line 3",
      " line 4",
      " line 5",
      "@@ -15,6 +15,6 @@",
      " line 15",
      " line 16",
      " line 17",
      "-line 18",
      "+eighteen",
      " line 19",
      " line 20",
    ]);
  });

  it("changes closer than twice the context share one hunk", () => {
    const d = diffLines("/etc/x.conf", numbered(12), numbered(12, { 3: "three", 8: "eight" }));
    expect(d.filter((l) => l.startsWith("@@"))).toEqual(["@@ -1,11 +1,11 @@"]);
  });

  it("says when a side lacks the final newline", () => {
    expect(diffLines("/etc/x.conf", "a\nb", "a\nb\n")).toEqual(["--- /etc/x.conf", "+++ /etc/x.conf", "@@ -1,2 +1,2 @@", " a", "-b", "\\ No newline at end of file", "+b"]);
  });
});
