import { ExitCode, MicropodError } from "../core/errors.js";
import { doctor } from "../host/doctor.js";
import { detectPlatform } from "../host/platform.js";
import { addHostOptions, resolveHostOptions } from "./host-options.js";
import type { Register } from "./index.js";

export const registerDoctor: Register = (program, context) => {
  addHostOptions(
    program
      .command("doctor")
      .description(`check the FreeBSD host read-only: every prepare-host step, capacity, the jail profiles of running containers; exit ${ExitCode.prerequisite} when something needs fixing`),
    "doctor",
  ).action(async (opts: Record<string, unknown>) => {
    const ctx = context();
    const options = await resolveHostOptions(opts);
    const findings = await doctor(ctx, options, { platform: await detectPlatform(ctx.runner) });
    const toFix = findings.filter((f) => f.level === "fix").length;
    if (toFix) throw new MicropodError(`${toFix} finding(s) to fix (each shows the command that fixes it)`, ExitCode.prerequisite);
  });
};
