import { MicropodError, type ExitCodeValue } from "../core/errors.js";
import { execService } from "../ops/passthrough.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

/** A passthrough's own exit code becomes micropod's, so scripts can test it. */
export function passExitCode(code: number, what: string): void {
  if (code !== 0) throw new MicropodError(`${what} exited with code ${code}`, code as ExitCodeValue);
}

export const registerExec: Register = (program, context) => {
  withSuiteOptions(
    program
      .command("exec")
      .description("run a command inside a service's container, with the environment the suite gave it")
      .argument("<service>", "service name (web, sidekiq-default, postgresql, ...)")
      .argument("<command...>", "the command and its arguments (put -- before them)")
      .option("-u, --user <user>", "run as this user inside the container")
      .option("-T, --no-tty", "no TTY even when standard input is one"),
  ).action(async (service: string, argv: string[], opts: SuiteOptions & { user?: string; tty: boolean }) => {
    const ctx = await opsContext(context(), opts);
    const code = await execService(ctx, service, argv, { ...(opts.tty ? {} : { tty: false }), ...(opts.user ? { user: opts.user } : {}) });
    passExitCode(code, argv[0] ?? "command");
  });
};
