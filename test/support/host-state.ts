import { existsSync, lstatSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { defaultEnvFiles } from "../../src/config/locations.js";
import { variableByName } from "../../src/config/variables.js";
import { OCIJAIL_STATE_DIR } from "../../src/engine/jail-profile.js";
import { CRON_FILE } from "../../src/health/install.js";
import { DEFAULT_METRICS_DIR } from "../../src/health/metrics.js";
import { CONTAINERS_CONF, HOOKS_DIR } from "../../src/host/containers-conf.js";
import { RC_SCRIPT_NAMES, rcScriptBackup, rcScriptTarget } from "../../src/host/rc-script.js";
import { CERTS_LOG, HEALTH_LOG, HEALTH_SUPERVISOR_PID, NEWSYSLOG_FILE, RC_LOG } from "../../src/host/resources/logs.js";

/**
 * The machine's own micropod state: what micropod reads or writes on a real host when nothing
 * points it elsewhere. No test may touch any of it (BRIEF: tests never read or write
 * /var/db/micropod, /usr/local/etc/micropod, /var/log). The list is built from the constants the
 * code itself uses, so a new default path in src/ is guarded as soon as it is exported here.
 */
const systemEnvFile = defaultEnvFiles.find((f) => f.startsWith("/"))!;
const dataDir = variableByName.get("DATA_DIR")!.default!;
const logDir = variableByName.get("LOG_DIR")!.default!;

/** Touching anything under these (read, stat, write) is a violation. /var/run is /run on Linux. */
export const FORBIDDEN_PREFIXES: readonly string[] = [
  dataDir,
  dirname(systemEnvFile),
  "/var/log",
  ...withRunAlias(`${dirname(HEALTH_SUPERVISOR_PID)}/micropod`),
  ...withRunAlias(OCIJAIL_STATE_DIR),
  CRON_FILE,
  NEWSYSLOG_FILE,
  ...RC_SCRIPT_NAMES.flatMap((n) => [rcScriptTarget(n), rcScriptBackup(n)]),
  DEFAULT_METRICS_DIR,
  CONTAINERS_CONF,
  HOOKS_DIR,
];

/**
 * Checked for change between the start and the end of a run, whatever touched them (a shell
 * script or podman is not caught by the Node guard): micropod's own files, not the host's busy
 * ones (/var/log as a whole changes all the time).
 */
export const WATCHED_PATHS: readonly string[] = [
  dataDir,
  dirname(systemEnvFile),
  logDir,
  HEALTH_LOG,
  RC_LOG,
  CERTS_LOG,
  ...withRunAlias(HEALTH_SUPERVISOR_PID),
  CRON_FILE,
  NEWSYSLOG_FILE,
  ...RC_SCRIPT_NAMES.flatMap((n) => [rcScriptTarget(n), rcScriptBackup(n)]),
  DEFAULT_METRICS_DIR,
];

function withRunAlias(path: string): string[] {
  return path.startsWith("/var/run/") ? [path, path.replace(/^\/var\/run\//, "/run/")] : [path];
}

/** Every watched path that exists, with each entry below it: type, mode, size and mtime. */
export function snapshotHostState(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    out.set(p, `${st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : "file"} ${(st.mode & 0o7777).toString(8)} ${st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  for (const p of WATCHED_PATHS) if (existsSync(p)) walk(p);
  return out;
}

/** What differs between two snapshots, one line per path. */
export function hostStateChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const lines: string[] = [];
  for (const [p, v] of after) {
    if (!before.has(p)) lines.push(`created ${p}`);
    else if (before.get(p) !== v) lines.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) lines.push(`removed ${p}`);
  return lines.sort();
}
