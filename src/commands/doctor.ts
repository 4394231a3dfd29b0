import { ExitCode, MicropodError } from "../core/errors.js";
import { doctor } from "../host/doctor.js";
import { addHostOptions, resolveHostOptions } from "./host-options.js";
import type { Register } from "./index.js";

export const registerDoctor: Register = (program, context) => {
  addHostOptions(
    program.command("doctor").description(`check the host read-only: every prepare-host step, capacity, ocijail; exit ${ExitCode.prerequisite} when something needs fixing`),
  ).action(async (opts: Record<string, unknown>) => {
    const findings = await doctor(context(), await resolveHostOptions(opts));
    const toFix = findings.filter((f) => f.level === "fix").length;
    if (toFix) throw new MicropodError(`${toFix} finding(s) to fix (each shows the command that fixes it)`, ExitCode.prerequisite);
  });
};
