import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, inspect } from "../core/command.js";
import type { Runner } from "../core/runner.js";
import type { ContainerDetails } from "../podman/readers.js";

/**
 * micropod's jail profiles, and the check that one is in effect in a running container's jail.
 *
 * A container annotated `com.micropod.jail.profile` needs jail parameters ocijail does not set by
 * default; ocijail 0.5+ applies them from its org.freebsd.jail.* annotations, and
 * hooks.d/micropod-jail.sh (an OCI createRuntime hook) applies them with `jail -m` on any
 * ocijail. Neither can be trusted to have worked: ocijail runs a hook and ignores its exit status
 * (hook::run_hooks discards hook::run's return value; its timeout is a TODO, dfr/ocijail
 * ocijail/hook.cpp), so a failing hook leaves the container running without them. Hence the
 * check after start: the jail id from ocijail's state (<state dir>/<container id>/state.json,
 * field "jid": ocijail/main.h runtime_state, ocijail/create.cpp), the parameters from
 * `jls -j JID -n NAME...` (usr.sbin/jls, freebsd/freebsd-src: name=value, a boolean as its name
 * or its "no" form, allow.mount.nofdescfs).
 */
export const JAIL_PROFILE_ANNOTATION = "com.micropod.jail.profile";

/**
 * Each profile's jail parameters, in jail(8)'s `name=value` / boolean `name` form. The hook
 * passes the same to `jail -m` (test/podman/jail-profile.test.ts holds the two together).
 * postgresql: a private System V IPC namespace (not allow.sysvipc, which shares the host's);
 * opensearch: fdescfs and procfs mounts, locked heap.
 */
export const JAIL_PROFILES: Readonly<Record<string, readonly string[]>> = {
  postgresql: ["sysvmsg=new", "sysvsem=new", "sysvshm=new"],
  opensearch: ["allow.mount", "allow.mount.fdescfs", "allow.mount.procfs", "enforce_statfs=1", "allow.mlock"],
};

/** ocijail's default state database (`--root`, ocijail/main.h); podman passes none. */
export const OCIJAIL_STATE_DIR = "/var/run/ocijail";

/** The named parameters of one jail, in `name=value` form (booleans by name or "no" name). */
export const jailParameters = (jid: number, names: readonly string[]): Command => inspect(["jls", "-j", String(jid), "-n", ...names]);

/** jail(8)'s boolean "no" form: allow.mount.fdescfs → allow.mount.nofdescfs (jls.c noname()). */
const noName = (name: string) => name.replace(/([^.]*)$/, "no$1");

/** One `jls -n` line as name → value, a boolean as "true"/"false". */
export function readJlsNameValues(line: string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of line.trim().split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf("=");
    if (eq > 0) out[token.slice(0, eq)] = token.slice(eq + 1).replace(/^"(.*)"$/, "$1");
    else {
      const bool = names.find((n) => n === token || noName(n) === token);
      if (bool) out[bool] = String(bool === token);
    }
  }
  return out;
}

/** `sysvshm=new` → ["sysvshm", "new"]; a boolean `allow.mlock` → ["allow.mlock", "true"]. */
const wanted = (param: string): [string, string] => {
  const eq = param.indexOf("=");
  return eq < 0 ? [param, "true"] : [param.slice(0, eq), param.slice(eq + 1)];
};

export type JailProfileCheck =
  | { readonly status: "in-effect"; readonly profile: string; readonly jid: number }
  /** The runtime is not ocijail (runc on a Linux test machine): there is no jail to look at. */
  | { readonly status: "not-a-jail"; readonly profile: string; readonly runtime: string }
  | { readonly status: "unknown-profile"; readonly profile: string }
  | { readonly status: "missing"; readonly profile: string; readonly jid?: number; readonly problems: readonly string[] };

/**
 * Whether the container's jail has its profile's parameters. Undefined for a container without
 * the annotation. Reads ocijail's state file and runs jls (read-only).
 */
export async function checkJailProfile(runner: Runner, container: ContainerDetails, stateDir = OCIJAIL_STATE_DIR): Promise<JailProfileCheck | undefined> {
  const profile = container.annotations[JAIL_PROFILE_ANNOTATION];
  if (profile === undefined) return undefined;
  const params = JAIL_PROFILES[profile];
  if (!params) return { status: "unknown-profile", profile };
  if (container.ociRuntime !== "ocijail") return { status: "not-a-jail", profile, runtime: container.ociRuntime || "unknown" };
  const stateFile = join(stateDir, container.id, "state.json");
  let jid: unknown;
  try {
    jid = (JSON.parse(await readFile(stateFile, "utf8")) as { jid?: unknown }).jid;
  } catch (err) {
    return { status: "missing", profile, problems: [`cannot read ocijail's state ${stateFile}: ${(err as Error).message}`] };
  }
  if (typeof jid !== "number" || !Number.isInteger(jid) || jid <= 0) return { status: "missing", profile, problems: [`no jail id in ${stateFile}`] };
  const names = params.map((p) => wanted(p)[0]);
  const r = await runner.run(jailParameters(jid, names), { allowFailure: true });
  if (r.exitCode !== 0) return { status: "missing", profile, jid, problems: [`jls -j ${jid} failed: ${(r.stderr || r.stdout).trim()}`] };
  const actual = readJlsNameValues(r.stdout, names);
  const problems = params.map(wanted).flatMap(([name, value]) =>
    actual[name] === value ? [] : [`${name} is ${actual[name] === undefined ? "not reported" : actual[name] === "false" ? "off" : actual[name]}, the profile needs ${value === "true" ? "it on" : value}`],
  );
  return problems.length ? { status: "missing", profile, jid, problems } : { status: "in-effect", profile, jid };
}

/** What to do about a profile not in effect, for error details and doctor. */
export const JAIL_PROFILE_FIX = [
  "the micropod-jail hook logs why it failed: grep micropod-jail /var/log/messages",
  "`micropod prepare-host` installs the hook and sets hooks_dir; ocijail 0.5+ applies the profile itself (pkg upgrade ocijail)",
];
