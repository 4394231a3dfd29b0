import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deferCleanup } from "./cleanup.js";

/**
 * A new directory for a test, removed when its file ends. The one way tests make temp
 * directories: tmpdir() is the test file's own directory in the run's root
 * (test/support/per-file.ts), and one left there fails the file.
 */
export function tempDir(prefix = "micropod-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  deferCleanup(dir, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
