import { ExitCode, MicropodError } from "../core/errors.js";
import { currentPlatform } from "../host/platform.js";
import { prepareHost } from "../host/prepare.js";
import { addHostOptions, resolveHostOptions } from "./host-options.js";
import type { Register } from "./index.js";

export const registerPrepareHost: Register = (program, context) => {
  addHostOptions(
    program
      .command("prepare-host")
      .description("prepare this FreeBSD 15 host for the suite: ZFS, pf, sysctl, fdescfs, packages, podman, jail profiles, boot scripts, base images")
      .option("--check", `show what would change and change nothing; exit ${ExitCode.changesPending} when something would`)
      .option("--force", "replace what conflicts in an administrator's file (a backup is kept)"),
  ).action(async (opts: Record<string, unknown>) => {
    const check = opts.check === true;
    const report = await prepareHost(context(), { check, options: await resolveHostOptions(opts), platform: currentPlatform() });
    if (check && report.changed > 0) throw new MicropodError(`${report.changed} resource(s) would change`, ExitCode.changesPending);
  });
};
