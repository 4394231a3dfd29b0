import { isDirectory, managedHeader, ownership, readIfExists, mkdirAction, writeAction } from "../files.js";
import { hostPath } from "../options.js";
import { type Action, type HostResource, ok } from "../resource.js";

export const NEWSYSLOG_FILE = "/usr/local/etc/newsyslog.conf.d/micropod.conf";

/**
 * Rotate every container log at 10 MB, keep 7 compressed. G: the name is a glob; N: no daemon
 * to signal (conmon reopens nothing, podman caps the live file with log_size_max).
 */
export function newsyslogRule(logDir: string): string {
  return `${managedHeader("rotation of the container logs")}# logfilename${" ".repeat(24)}[owner:group] mode count size when flags
${`${logDir}/*.log`.padEnd(36)} root:wheel    640  7     10240 *    GNZ
`;
}

export const logs: HostResource = {
  name: "logs",
  async plan(ctx) {
    const { logDir } = ctx.options;
    const actions: Action[] = [];
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
