import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { afterAll, expect } from "vitest";
import { runDeferredCleanups } from "./cleanup.js";
import { removeTree } from "./remove-tree.js";

/**
 * vitest setupFiles: runs in each test file's own process, before the file is loaded. The file
 * gets its own temp directory in the run root (run-root.ts) as TMPDIR, so everything it or its
 * children make there is attributed to it. After the file's own afterAll hooks (vitest runs
 * "after" hooks in reverse order of registration, and these are registered first), the cleanups
 * its helpers deferred run, and then the file fails if anything is left in its directory or if
 * it touched the machine's micropod state: leaving nothing behind is checked, not hoped for.
 */
const runRoot = process.env.MICROPOD_TEST_RUN_ROOT;
if (!runRoot) throw new Error("run the tests through vitest.config.ts: its globalSetup (test/support/run-root.ts) makes the run's directory");
const repoRoot = resolve(import.meta.dirname, "..", "..");
const testFile = relative(repoRoot, expect.getState().testPath ?? "unknown");
const fileDir = mkdtempSync(join(runRoot, `${basename(testFile).replace(/\.test\.ts$/, "").slice(0, 20)}-`));
chmodSync(fileDir, 0o755); // as the run root: other users' services reach their test's files
process.env.TMPDIR = fileDir;
process.env.MICROPOD_TEST_FILE = testFile;

afterAll(async () => {
  const problems: string[] = [];
  await runDeferredCleanups().catch((err: unknown) => problems.push(err instanceof Error ? err.message : String(err)));
  const left = existsSync(fileDir) ? readdirSync(fileDir) : [];
  if (left.length) problems.push(`left behind in ${fileDir}: ${left.join(", ")} (make temp directories with test/support/temp.ts, which removes them)`);
  for (const e of left) await removeTree(join(fileDir, e)).catch((err: unknown) => problems.push(String(err)));
  rmSync(fileDir, { recursive: true, force: true });
  const log = process.env.MICROPOD_TEST_GUARD_LOG;
  const touches = log && existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l && (JSON.parse(l) as { file: string | null }).file === testFile) : [];
  if (touches.length) problems.push(`touched the machine's micropod state (test/support/host-state.ts):\n  ${touches.join("\n  ")}`);
  if (problems.length) throw new Error(`${testFile}: ${problems.join("\n")}`);
});
