import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FORBIDDEN_PREFIXES, hostStateChanges, snapshotHostState } from "./host-state.js";
import { RUNROOT_SUFFIX } from "./podman-env.js";
import { removeTree } from "./remove-tree.js";

/** Files the run root holds besides the test files' directories. */
export const GUARD_LOG = "host-state-touches.jsonl";
export const CONFIG_DIR = "etc-micropod";

/**
 * vitest globalSetup: one directory for the whole run, under /var/tmp (podman sandboxes need
 * disk; /tmp may be a small tmpfs), and the guard against touching the machine's micropod state.
 * Everything it sets in process.env reaches every worker and every process the tests spawn:
 *
 * - TMPDIR: the run root; each test file then narrows it to its own directory (per-file.ts).
 * - MICROPOD_CONFIG_DIR: an empty directory where `micropod` looks for micropod.env instead of
 *   /usr/local/etc/micropod, so a CLI test run without --env finds no configuration of the machine.
 * - NODE_OPTIONS=--import host-state-guard.mjs, with the forbidden paths and the log it records
 *   touches in: every Node process of the run fails on, and reports, a touch of micropod's state.
 *
 * The teardown fails the run (exit code 1) for what no single file's check can see: a file
 * whose own cleanup never ran (its worker died) and left its directory, a touch recorded
 * outside any test file, or a change to micropod's state on this machine by any program.
 */
export default function setup(): () => Promise<void> {
  const base = existsSync("/var/tmp") ? "/var/tmp" : tmpdir();
  const root = mkdtempSync(join(base, "micropod-test-"));
  // Services some tests run as their own users (postgres, varnish, nginx) must reach their files below.
  chmodSync(root, 0o755);
  const guardLog = join(root, GUARD_LOG);
  writeFileSync(guardLog, "");
  const configDir = join(root, CONFIG_DIR);
  mkdirSync(configDir);
  const guard = pathToFileURL(resolve(import.meta.dirname, "host-state-guard.mjs")).href;
  Object.assign(process.env, {
    TMPDIR: root,
    MICROPOD_TEST_RUN_ROOT: root,
    MICROPOD_TEST_GUARD_LOG: guardLog,
    MICROPOD_TEST_FORBIDDEN_PATHS: JSON.stringify(FORBIDDEN_PREFIXES),
    MICROPOD_CONFIG_DIR: configDir,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${guard}`].filter(Boolean).join(" "),
  });
  const before = snapshotHostState();

  return async () => {
    const problems: string[] = [];
    const touches = readFileSync(guardLog, "utf8").split("\n").filter(Boolean);
    if (touches.length) problems.push(`the tests touched the machine's micropod state:\n  ${touches.join("\n  ")}`);
    const changes = hostStateChanges(before, snapshotHostState());
    if (changes.length) problems.push(`micropod's state on this machine changed during the run:\n  ${changes.join("\n  ")}`);
    if (readdirSync(configDir).length) problems.push(`something wrote into ${configDir}: ${readdirSync(configDir).join(", ")}`);
    // podman sandboxes' run state, beside the root (podman-env.ts shortRunRoot): each removed by its sandbox.
    const runRoots = readdirSync(dirname(root)).filter((e) => e.startsWith(`${basename(root)}${RUNROOT_SUFFIX}`));
    if (runRoots.length) problems.push(`left behind beside ${root} (a podman sandbox whose cleanup did not run): ${runRoots.join(", ")}`);
    for (const e of runRoots) await removeTree(join(dirname(root), e)).catch((err) => problems.push(String(err)));
    const left = readdirSync(root).filter((e) => e !== GUARD_LOG && e !== CONFIG_DIR);
    if (left.length) problems.push(`left behind in ${root} (a test file whose cleanup did not run): ${left.join(", ")}`);
    for (const e of left) {
      // A test file's directory may hold podman sandboxes: each goes the careful way.
      const dir = join(root, e);
      for (const inner of existsSync(dir) ? readdirSync(dir) : []) await removeTree(join(dir, inner)).catch((err) => problems.push(String(err)));
      await removeTree(dir).catch((err) => problems.push(String(err)));
    }
    rmSync(root, { recursive: true, force: true });
    if (problems.length) {
      process.stderr.write(`\nmicropod test run: ${problems.join("\n")}\n`);
      // A throwing globalSetup teardown does not fail a vitest run (vitest 4 logs it and exits 0).
      process.exitCode = 1;
    }
  };
}
