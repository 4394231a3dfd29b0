import { ExitCode, MicropodError } from "../core/errors.js";
import { detectPlatform } from "../host/platform.js";
import { prepareHost } from "../host/prepare.js";
import { addHostOptions, resolveHostOptions } from "./host-options.js";
import type { Register } from "./index.js";

export const registerPrepareHost: Register = (program, context) => {
  addHostOptions(
    program
      .command("prepare-host")
      .description("prepare this FreeBSD 15 host for the suite: ZFS, pf, sysctl, fdescfs, packages, podman, jail profiles, boot scripts, base images")
      .option(
        "--check",
        `show what would change and change nothing, anywhere, as anyone; exit ${ExitCode.changesPending} when something would change, ${ExitCode.notInspected} when something could not be inspected here`,
      )
      .option("--force", "replace what conflicts in an administrator's file (a backup is kept)"),
    "prepare-host",
  ).action(async (opts: Record<string, unknown>) => {
    const check = opts.check === true;
    const ctx = context();
    const options = await resolveHostOptions(opts);
    const report = await prepareHost(ctx, { check, options, platform: await detectPlatform(ctx.runner) });
    if (check && report.notInspected > 0) throw new MicropodError(`${report.notInspected} resource(s) could not be inspected here`, ExitCode.notInspected);
    if (check && report.changed > 0) throw new MicropodError(`${report.changed} resource(s) would change`, ExitCode.changesPending);
  });
};
