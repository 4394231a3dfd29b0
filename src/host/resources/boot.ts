import { defaultEnvFiles } from "../../config/locations.js";
import { readIfExists, writeAction } from "../files.js";
import { hostPath } from "../options.js";
import { rcConfPlan } from "../rc-conf.js";
import { RC_BACKUP_DIR, RC_SCRIPT_NAMES, RENAMED_RC_KNOBS, inspectRcScript, packagedRcScript, packagedRcSource, rcScriptAction } from "../rc-script.js";
import { type HostStep, type HostContext, type HostResource, runAction } from "../resource.js";
import { sysctlGet, sysctlSet } from "../tools/sysctl.js";
import { sysrcGet, sysrcRemove } from "../tools/sysrc.js";
import { SYSCTL_CONF, withSysctl } from "./kernel.js";

/** The .env rc.d/micropod reads when micropod_envfile is not set (context.ts's system-wide one). */
export const BOOT_ENV_DEFAULT = defaultEnvFiles[defaultEnvFiles.length - 1]!;
/**
 * rc.shutdown's own watchdog (rc.conf(5) rcshutdown_timeout, 90 s by default) and init(8)'s hard
 * limit on rc.shutdown (kern.init_shutdown_timeout, 120 s; a larger rcshutdown_timeout has no
 * effect without it). PostgreSQL alone may take 120 s to stop cleanly, after web, streaming and
 * sidekiq; 300 s leaves room for the whole reverse-order stop. init's limit stays above the
 * watchdog so the watchdog, which logs what it stopped, fires first.
 */
export const RCSHUTDOWN_TIMEOUT = 300;
export const INIT_SHUTDOWN_TIMEOUT = RCSHUTDOWN_TIMEOUT + 30;
const INIT_TIMEOUT_OID = "kern.init_shutdown_timeout";

const atLeast = (min: number) => (v: string) => /^\d+$/.test(v.trim()) && Number(v) >= min;

/**
 * Boot and shutdown: rc.d/micropod (micropod_enable: `micropod start` after podman_service, `micropod
 * stop` at shutdown) and rc.d/micropod_health installed, the first enabled; the health watcher is
 * enabled by `micropod health install --rc`. Shutdown timeouts raised when lower.
 */
export const boot: HostResource = {
  name: "boot",
  checks: () => "rc.d/micropod and rc.d/micropod_health in /usr/local/etc/rc.d; micropod_enable, micropod_envfile and rcshutdown_timeout in rc.conf (sysrc); kern.init_shutdown_timeout live (sysctl) and in /etc/sysctl.conf",
  async plan(ctx) {
    const actions: HostStep[] = [];
    const todo: string[] = [];
    const notes: string[] = [];
    const refusals: string[] = [];
    for (const name of RC_SCRIPT_NAMES) {
      const script = await inspectRcScript(ctx.options, name, await packagedRcScript(packagedRcSource(ctx.options.packageDir, name)));
      const action = rcScriptAction(ctx.options, script);
      if (!action) continue;
      actions.push(action);
      todo.push(script.state === "identical" ? `chmod 555 ${script.target}` : `install ${script.target}`);
      if (script.state === "administrator" && !ctx.options.force) refusals.push(script.target);
    }

    const wanted: Record<string, string> = { micropod_enable: "YES" };
    const renamed = await renamedKnobs(ctx, wanted);
    const envFile = await bootEnvFile(ctx, wanted, notes);
    const shutdown = await ctx.inspect.run(sysrcGet(ctx.options.root, "rcshutdown_timeout"), { allowFailure: true });
    // Empty: no watchdog at all, which is long enough.
    if (shutdown.exitCode !== 0 || !(shutdown.stdout.trim() === "" || atLeast(RCSHUTDOWN_TIMEOUT)(shutdown.stdout))) wanted.rcshutdown_timeout = String(RCSHUTDOWN_TIMEOUT);
    const rc = await rcConfPlan(ctx, wanted);
    actions.push(...rc.actions);
    if (rc.differing.length) todo.push(`set ${rc.differing.map((n) => `${n}=${wanted[n]}`).join(" ")}`);
    if (renamed.length) {
      actions.push(runAction(ctx, sysrcRemove(ctx.options.root, renamed)));
      todo.push(`remove ${renamed.join(" ")} (renamed: rc.subr reserves \${name}_program)`);
    }

    const live = await ctx.inspect.run(sysctlGet(INIT_TIMEOUT_OID), { allowFailure: true });
    const liveLow = live.exitCode !== 0 || !atLeast(INIT_SHUTDOWN_TIMEOUT)(live.stdout);
    if (liveLow) actions.push(runAction(ctx, sysctlSet([INIT_TIMEOUT_OID, String(INIT_SHUTDOWN_TIMEOUT)])));
    const conf = (await readIfExists(hostPath(ctx.options, SYSCTL_CONF))) ?? "";
    const desired = withSysctl(conf, INIT_TIMEOUT_OID, String(INIT_SHUTDOWN_TIMEOUT), "init waits this long for rc.shutdown (micropod stop)", atLeast(INIT_SHUTDOWN_TIMEOUT));
    if (desired !== conf) actions.push(writeAction(ctx, SYSCTL_CONF, conf === "" ? undefined : conf, desired));
    if (liveLow || desired !== conf) todo.push(`${INIT_TIMEOUT_OID}=${INIT_SHUTDOWN_TIMEOUT}${liveLow ? " live" : ""}${liveLow && desired !== conf ? " and" : ""}${desired !== conf ? ` in ${SYSCTL_CONF}` : ""}`);

    if (actions.length === 0) {
      return { message: `micropod enabled at boot (.env ${envFile}), micropod_health installed, shutdown timeouts ${RCSHUTDOWN_TIMEOUT}/${INIT_SHUTDOWN_TIMEOUT} s or more`, actions, notes };
    }
    const refusal = refusals.length ? `${refusals.join(", ")} ${refusals.length === 1 ? "was" : "were"} not written by micropod; rerun with --force to replace ${refusals.length === 1 ? "it" : "them"} (the old one is kept in ${RC_BACKUP_DIR})` : undefined;
    return { message: todo.join("; "), actions, notes, refusal };
  },
};

/**
 * rc.conf values under a knob's old name: each moves to its new name (unless that is set
 * already) and the old line goes, so rc.subr never sees a `${name}_program` of ours.
 */
async function renamedKnobs(ctx: HostContext, wanted: Record<string, string>): Promise<string[]> {
  const set = async (name: string) => {
    const r = await ctx.inspect.run(sysrcGet(ctx.options.root, name), { allowFailure: true });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  };
  const old: string[] = [];
  for (const k of RENAMED_RC_KNOBS) {
    const value = await set(k.old);
    if (value === undefined) continue;
    old.push(k.old);
    if (value !== "" && (await set(k.now)) === undefined) wanted[k.now] = value;
  }
  return old;
}

/**
 * The .env rc.d/micropod will read. With one found for this run, micropod_envfile names it
 * (unset means the default, so the default needs no line); without one, the boot script reads
 * micropod_envfile or the default, and a missing file there is reported.
 */
async function bootEnvFile(ctx: HostContext, wanted: Record<string, string>, notes: string[]): Promise<string> {
  const r = await ctx.inspect.run(sysrcGet(ctx.options.root, "micropod_envfile"), { allowFailure: true });
  const configured = r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  const found = ctx.options.envFile;
  if (found) {
    if (found !== (configured ?? BOOT_ENV_DEFAULT)) wanted.micropod_envfile = found;
    return found;
  }
  const envFile = configured ?? BOOT_ENV_DEFAULT;
  if ((await readIfExists(hostPath(ctx.options, envFile))) === undefined) {
    notes.push(`${envFile} does not exist: at boot rc.d/micropod reads the suite's .env there (put it there, or rerun with --env FILE to point micropod_envfile at yours)`);
  }
  return envFile;
}
