import { isDirectory, managedHeader, ownership, readIfExists, mkdirAction, writeAction } from "../files.js";
import { hostPath } from "../options.js";
import { type HostStep, type HostResource, ok } from "../resource.js";

export const NEWSYSLOG_FILE = "/usr/local/etc/newsyslog.conf.d/micropod.conf";

/** The health watcher's log, and the pid file of the daemon(8) supervisor that writes it (rc.d/micropod_health). */
export const HEALTH_LOG = "/var/log/micropod-health.log";
export const HEALTH_SUPERVISOR_PID = "/var/run/micropod_health.pid";
/** rc.d/micropod's log: each boot and stop appends to it and closes it, so nothing holds it open. */
export const RC_LOG = "/var/log/micropod.log";
/** The twice-daily `micropod certs renew` cron line's log (certs/schedule.ts): appended and closed each run. */
export const CERTS_LOG = "/var/log/micropod-certs.log";

/**
 * newsyslog rules for micropod's own logs, 10 MB / 1 MB, 7 kept, gzip (Z).
 * - LOG_DIR/build-*.log only (G: a glob; N: no daemon to signal). Never the containers' k8s-file
 *   logs there: conmon keeps its log open and never reopens it on rename, so after a rotation it
 *   writes into the renamed file, which newsyslog then compresses away. podman caps those itself
 *   with the `max-size` log option each service sets in compose.yaml.
 * - The health watcher's log: daemon(8) -H reopens it on SIGHUP, sent to the supervisor's pid
 *   file (-P; the child, node, would die of SIGHUP).
 * - rc.d/micropod's log and the certificate renewals' log: plain rotation (N).
 */
export function newsyslogRule(logDir: string): string {
  return `${managedHeader("rotation of micropod's own logs (podman's max-size caps the container logs)")}# logfilename${" ".repeat(24)}[owner:group] mode count size when flags [/pid_file]
${`${logDir}/build-*.log`.padEnd(36)} root:wheel    640  7     10240 *    GNZ
${HEALTH_LOG.padEnd(36)} root:wheel    640  7     1024  *    Z     ${HEALTH_SUPERVISOR_PID}
${RC_LOG.padEnd(36)} root:wheel    640  7     1024  *    NZ
${CERTS_LOG.padEnd(36)} root:wheel    640  7     1024  *    NZ
`;
}

export const logRotation: HostResource = {
  name: "logs",
  checks: (o) => `${o.logDir} exists; ${NEWSYSLOG_FILE} rotates micropod's logs`,
  async plan(ctx) {
    const { logDir } = ctx.options;
    const actions: HostStep[] = [];
    if (!(await isDirectory(hostPath(ctx.options, logDir)))) actions.push(mkdirAction(ctx, logDir));
    const desired = newsyslogRule(logDir);
    const current = await readIfExists(hostPath(ctx.options, NEWSYSLOG_FILE));
    let refusal: string | undefined;
    if (current !== desired) {
      actions.push(writeAction(ctx, NEWSYSLOG_FILE, current, desired));
      if (ownership(current) === "administrator" && !ctx.options.force) refusal = `${NEWSYSLOG_FILE} was not written by micropod; rerun with --force to replace it (a backup is kept)`;
    }
    if (actions.length === 0) return ok(`${logDir} exists, rotated by ${NEWSYSLOG_FILE}`);
    return { message: `${logDir} and its newsyslog rule ${NEWSYSLOG_FILE}`, actions, refusal };
  },
};
