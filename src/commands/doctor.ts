import { ExitCode, MicropodError } from "../core/errors.js";
import { doctor } from "../host/doctor.js";
import { detectPlatform } from "../host/platform.js";
import { resolveEnvFile } from "../config/locations.js";
import { addHostOptions, resolveHostOptions } from "./host-options.js";
import { loadConfigAndSuite } from "./suite-loading.js";
import type { Register } from "./index.js";

export const registerDoctor: Register = (program, context) => {
  addHostOptions(
    program
      .command("doctor")
      .description(`check the FreeBSD host read-only: every prepare-host step, capacity, the jail profiles of running containers, every published port; exit ${ExitCode.prerequisite} when something needs fixing`)
      .option("--compose <file>", "compose file whose published ports are listed (default: MICROPOD_COMPOSE, then the bundled suite)"),
    "doctor",
  ).action(async (opts: Record<string, unknown>) => {
    const ctx = context();
    const options = await resolveHostOptions(opts);
    // The suite's declared ports need its .env (addresses are interpolated); without one, podman's mappings alone.
    const envFile = resolveEnvFile({ env: typeof opts.env === "string" ? opts.env : undefined }, false);
    const suite = envFile ? (await loadConfigAndSuite(ctx, { env: envFile, ...(typeof opts.compose === "string" ? { compose: opts.compose } : {}) })).suite : undefined;
    const findings = await doctor(ctx, options, { platform: await detectPlatform(ctx.runner), ...(suite ? { suite } : {}) });
    const toFix = findings.filter((f) => f.level === "fix").length;
    if (toFix) throw new MicropodError(`${toFix} finding(s) to fix (each shows the command that fixes it)`, ExitCode.prerequisite);
  });
};
