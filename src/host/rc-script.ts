import { chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { PrerequisiteError } from "../core/errors.js";
import { diffLines } from "./diff.js";
import { isManaged, readIfExists } from "./files.js";
import { hostPath } from "./options.js";
import type { HostStep } from "./resource.js";

/**
 * Installing the package's rc.d scripts: the one rule prepare-host's boot resource and
 * `micropod health install --rc` both follow for /usr/local/etc/rc.d/<name>.
 */

/** Where rc(8) finds local scripts (local_startup). */
export const RC_DIR = "/usr/local/etc/rc.d";
/** rc(8) runs every file in rc.d that says `# PROVIDE:`: a backup there would run too. */
export const RC_BACKUP_DIR = "/var/backups";
export const RC_SCRIPT_MODE = 0o555;
/** The scripts the package ships in rc.d/. */
export const RC_SCRIPT_NAMES = ["micropod", "micropod_health"] as const;
export type RcScriptName = (typeof RC_SCRIPT_NAMES)[number];

/**
 * rc.conf knobs the scripts once had under names rc.subr reserves (`${name}_program` replaces
 * rc.subr's `command`, see rc.subr(8)), and their names now. The scripts still read the old
 * name (with a warning); prepare-host and `health install --rc` move the value to the new one.
 */
export const RENAMED_RC_KNOBS = [
  { old: "micropod_program", now: "micropod_bin" },
  { old: "micropod_health_program", now: "micropod_health_bin" },
] as const;

export const rcScriptTarget = (name: RcScriptName): string => `${RC_DIR}/${name}`;
export const rcScriptBackup = (name: RcScriptName): string => `${RC_BACKUP_DIR}/${name}.micropod-backup`;
export const BOOT_RC_SCRIPT = rcScriptTarget("micropod");
export const HEALTH_RC_SCRIPT = rcScriptTarget("micropod_health");

/** The package's script at `source`; it must carry the managed-by line, else it would be the administrator's once installed. */
export async function packagedRcScript(source: string): Promise<string> {
  const content = await readIfExists(source);
  if (content === undefined) throw new PrerequisiteError(`the micropod package lacks ${source}`, "reinstall micropod");
  if (!isManaged(content)) throw new PrerequisiteError(`${source} lacks the "managed by micropod" line`, "reinstall micropod");
  return content;
}

/**
 * What the installed file is next to the packaged one: absent; identical (perhaps with a drifted
 * mode); micropod's but different (an older version); or the administrator's (no managed-by
 * line), which only a forced install replaces.
 */
export type RcScriptState = "absent" | "identical" | "managed" | "administrator";

export interface RcScriptInspection {
  readonly name: RcScriptName;
  /** The host path (/usr/local/etc/rc.d/<name>), as reports show it. */
  readonly target: string;
  readonly state: RcScriptState;
  /** An identical file whose mode is not 0555. */
  readonly modeDrifted: boolean;
  readonly before: string | undefined;
  readonly content: string;
}

export async function inspectRcScript(o: { readonly root: string }, name: RcScriptName, content: string): Promise<RcScriptInspection> {
  const target = rcScriptTarget(name);
  const path = hostPath(o, target);
  const before = await readIfExists(path);
  const state: RcScriptState = before === undefined ? "absent" : before === content ? "identical" : isManaged(before) ? "managed" : "administrator";
  const modeDrifted = state === "identical" && ((await stat(path)).mode & 0o7777) !== RC_SCRIPT_MODE;
  return { name, target, state, modeDrifted, before, content };
}

/**
 * The step that brings the file in line, or undefined when it already is: an identical file
 * only gets its mode back; any other is written 0555, the replaced one kept read-only in
 * /var/backups (never in rc.d). Whether an administrator's file may be replaced is the caller's
 * call (--force): this only says what replacing it does.
 */
export function rcScriptAction(o: { readonly root: string }, i: RcScriptInspection): HostStep | undefined {
  if (i.state === "identical") {
    if (!i.modeDrifted) return undefined;
    return { diff: [`$ chmod ${RC_SCRIPT_MODE.toString(8)} ${i.target}`], apply: () => chmod(hostPath(o, i.target), RC_SCRIPT_MODE) };
  }
  const { before } = i;
  return {
    diff: diffLines(i.target, before, i.content),
    async apply() {
      if (before !== undefined) await writeFileAtomic(hostPath(o, rcScriptBackup(i.name)), before, { mkdirs: true, mode: 0o444 });
      await writeFileAtomic(hostPath(o, i.target), i.content, { mkdirs: true, mode: RC_SCRIPT_MODE });
    },
  };
}

/** The package's script as installed from `packageDir`/rc.d/<name>. */
export const packagedRcSource = (packageDir: string, name: RcScriptName): string => join(packageDir, "rc.d", name);
