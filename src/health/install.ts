import { writeFileAtomic } from "../core/atomic-write.js";
import { ExitCode, MicropodError, UsageError } from "../core/errors.js";
import type { Context } from "../core/context.js";
import { isManaged, managedHeader, readIfExists } from "../host/files.js";
import { hostPath } from "../host/options.js";
import { HEALTH_RC_SCRIPT, RENAMED_RC_KNOBS, inspectRcScript, packagedRcScript, rcScriptAction, rcScriptBackup } from "../host/rc-script.js";
import { HEALTH_LOG } from "../host/resources/logs.js";
import { serviceStart } from "../host/tools/service.js";
import { sysrcRemove, sysrcSet } from "../host/tools/sysrc.js";
import type { Every } from "./schedule.js";

/**
 * `micropod health install`: either a system crontab in /usr/local/etc/cron.d (FreeBSD's cron
 * reads it next to /etc/cron.d since 12.0; one file micropod owns, no editing of root's own
 * crontab), or the rc.d service that runs `micropod health watch` under daemon(8).
 */
export const CRON_FILE = "/usr/local/etc/cron.d/micropod-health";

export interface InstallOptions {
  readonly root: string;
  readonly mode: "cron" | "rc";
  readonly every: Every;
  /** The .env the installed check reads. */
  readonly envFile: string;
  /** The micropod program to run. */
  readonly program: string;
  /** The rc.d script shipped with micropod (rc.d/micropod_health). */
  readonly rcSource: string;
  /** --rc: replace an administrator's micropod_health too (it is kept in /var/backups), as prepare-host --force does. */
  readonly force?: boolean;
  /** The `micropod certs renew` crontab line (certs/schedule.ts) the same file carries. */
  readonly certsRenewLine?: string;
}

/**
 * The crontab line. Its output goes to HEALTH_LOG, the file prepare-host's newsyslog rule rotates
 * (host/resources/logs.ts) and the rc.d service appends to: one constant for writer and rotation.
 * `--every` tells the check its own interval, which its deadline must stay below.
 */
export function cronFileContent(o: Pick<InstallOptions, "every" | "envFile" | "program" | "certsRenewLine">): string {
  if (!o.every.crontab) throw new MicropodError(`cron runs at most once a minute: --every ${o.every.text} needs \`micropod health install --rc\` (health watch)`);
  return [
    managedHeader("`micropod health install` wrote this system crontab").trimEnd(),
    "SHELL=/bin/sh",
    "PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin",
    `${o.every.crontab}\troot\t${o.program} health check --env ${o.envFile} --every ${o.every.text} >> ${HEALTH_LOG} 2>&1`,
    ...(o.certsRenewLine ? [o.certsRenewLine] : []),
    "",
  ].join("\n");
}

export async function installHealth(ctx: Pick<Context, "runner" | "logger">, o: InstallOptions): Promise<string[]> {
  const done: string[] = [];
  if (o.mode === "cron") {
    // The cron file never replaces an administrator's: silently ignoring --force would mislead.
    if (o.force) throw new UsageError("--force applies to --rc only (the cron file is never taken from the administrator)");
    const content = cronFileContent(o);
    const path = hostPath(o, CRON_FILE);
    const before = await readIfExists(path);
    if (before !== undefined && !isManaged(before)) throw new MicropodError(`${CRON_FILE} exists and micropod did not write it: not replacing it`, ExitCode.failure, ["move it away, or add the check to it yourself"]);
    if (before === content) return [`${CRON_FILE} is up to date`];
    await writeFileAtomic(path, content, { mode: 0o644, mkdirs: true, backup: before !== undefined });
    done.push(`wrote ${CRON_FILE}: micropod health check every ${o.every.text}`);
  } else {
    done.push(await installRcScript(o));
    const values = { micropod_health_enable: "YES", micropod_health_envfile: o.envFile, micropod_health_every: o.every.text, micropod_health_bin: o.program };
    await ctx.runner.run(sysrcSet(o.root, values));
    // micropod_health_bin's old name: rc.subr reads ${name}_program as the command to run.
    await ctx.runner.run(sysrcRemove(o.root, RENAMED_RC_KNOBS.filter((k) => k.now === "micropod_health_bin").map((k) => k.old)));
    done.push(`enabled micropod_health in rc.conf (${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(" ")})`);
    if (o.root === "/") {
      await ctx.runner.run(serviceStart("micropod_health"));
      done.push("started micropod_health");
    }
  }
  for (const line of done) ctx.logger.info({ event: "health.install" }, line);
  return done;
}

/**
 * The rc script, by prepare-host's rule for the same file (host/rc-script.ts): an installed one
 * without the managed-by line is the administrator's and is replaced only with --force, kept in
 * /var/backups; an identical one is left as is (mode put back to 0555).
 */
async function installRcScript(o: Pick<InstallOptions, "root" | "rcSource" | "force">): Promise<string> {
  const script = await inspectRcScript(o, "micropod_health", await packagedRcScript(o.rcSource));
  if (script.state === "administrator" && !o.force) {
    throw new MicropodError(`${HEALTH_RC_SCRIPT} exists and micropod did not write it: not replacing it`, ExitCode.failure, [
      "move it away and rerun, or rerun with `--force`, which keeps it in /var/backups",
    ]);
  }
  const action = rcScriptAction(o, script);
  if (!action) return `${HEALTH_RC_SCRIPT} is up to date`;
  await action.apply();
  if (script.state === "identical") return `${HEALTH_RC_SCRIPT}: mode set to 555`;
  return script.state === "administrator" ? `replaced the administrator's ${HEALTH_RC_SCRIPT} (kept as ${rcScriptBackup("micropod_health")})` : `installed ${HEALTH_RC_SCRIPT}`;
}
