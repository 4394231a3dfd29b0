import { type Command as Program, Option } from "commander";
import { loadConfig } from "../config/load.js";
import { type HostOptions, type HostOptionsInput, hostOptions, withConfig } from "../host/options.js";
import { defaultEnvFiles, resolveEnvFile } from "../config/locations.js";

/**
 * The options prepare-host and doctor share: where things are on the host. `--with-compose` only
 * means something to prepare-host; doctor keeps `--root` for tests but does not offer it.
 */
export function addHostOptions(cmd: Program, verb: "prepare-host" | "doctor"): Program {
  const root = new Option("--root <dir>", "resolve every file path under this directory (a test tree)").default("/");
  cmd
    .option("--env <file>", `the suite's .env: DATA_DIR, LOG_DIR, FREEBSD_RELEASE, S3_ENABLED (default: MICROPOD_ENV, ${defaultEnvFiles.join(", ")}; without one, the defaults below)`)
    .addOption(verb === "doctor" ? root.hideHelp() : root)
    .option("--pool <name>", "ZFS pool for the datasets", "zroot")
    .option("--containers-dataset <name>", "dataset for podman's storage (default <pool>/containers)")
    .option("--containers-mountpoint <path>", "its mountpoint", "/var/db/containers")
    .option("--data-dataset <name>", "dataset for the suite's data (default <pool>/micropod)")
    .option("--data-dir <path>", "DATA_DIR: its mountpoint (default: the .env's, else /var/db/micropod)")
    .option("--log-dir <path>", "LOG_DIR: container logs, rotated by newsyslog (default: the .env's, else /var/log/containers)")
    .option("--egress-v4 <if>", "IPv4 egress interface for NAT (default: from `route -n get default`)")
    .option("--egress-v6 <if>", "IPv6 egress interface for NAT (default: from `route -n get -inet6 default`)");
  if (verb === "prepare-host") cmd.option("--with-compose", "also install podman-compose (sysutils/podman-compose)");
  // Where pf/ and hooks.d/ are read from: the installed package unless testing a checkout.
  return cmd.addOption(new Option("--package-dir <dir>").hideHelp());
}

export function hostOptionsInput(o: Record<string, unknown>): HostOptionsInput {
  const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  return {
    root: s("root"),
    pool: s("pool"),
    containersDataset: s("containersDataset"),
    containersMountpoint: s("containersMountpoint"),
    dataDataset: s("dataDataset"),
    dataDir: s("dataDir"),
    logDir: s("logDir"),
    egress4: s("egressV4"),
    egress6: s("egressV6"),
    withCompose: o.withCompose === true,
    force: o.force === true,
    packageDir: s("packageDir"),
  };
}

/**
 * The host options of one run: the flags, over the .env's values when a .env is found (as every
 * verb finds it, never the bundled sample), over the defaults.
 */
export async function resolveHostOptions(o: Record<string, unknown>): Promise<HostOptions> {
  const input = hostOptionsInput(o);
  const envFile = resolveEnvFile({ env: typeof o.env === "string" ? o.env : undefined }, false);
  return hostOptions(envFile ? withConfig(input, await loadConfig(envFile)) : input);
}
