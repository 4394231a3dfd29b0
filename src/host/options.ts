import { isAbsolute, join, resolve } from "node:path";
import { packageRoot } from "../config/locations.js";
import { UsageError } from "../core/errors.js";
import type { MicropodConfig } from "../config/model.js";

/** Everything prepare-host and doctor can be told; defaults are the seed's layout. */
export interface HostOptions {
  /** Every file path resolves under this directory (tests use a temp tree). Default `/`. */
  readonly root: string;
  readonly pool: string;
  readonly containersDataset: string;
  readonly containersMountpoint: string;
  readonly dataDataset: string;
  /** DATA_DIR: the suite's persistent data. */
  readonly dataDir: string;
  /** LOG_DIR: container and build logs, rotated by newsyslog. */
  readonly logDir: string;
  /** Egress interfaces for NAT; undefined: detected from the default routes. */
  readonly egress4?: string;
  readonly egress6?: string;
  /** Install podman-compose too. */
  readonly withCompose: boolean;
  /** Replace conflicting lines in an administrator's file (a backup is kept). */
  readonly force: boolean;
  /** Where hooks.d/, pf/ and rc.d/ are found (the installed package). */
  readonly packageDir: string;
  /** The .env read (--env or the default locations); undefined when there is none. */
  readonly envFile?: string;
  /** FREEBSD_RELEASE from the .env: the base images' tag. Undefined: the host's release. */
  readonly freebsdRelease?: string;
  /** S3_ENABLED from the .env; undefined without one (the seed's guidance assumes media on S3). */
  readonly s3Enabled?: boolean;
}

export interface HostOptionsInput {
  root?: string;
  pool?: string;
  containersDataset?: string;
  containersMountpoint?: string;
  dataDataset?: string;
  dataDir?: string;
  logDir?: string;
  egress4?: string;
  egress6?: string;
  withCompose?: boolean;
  force?: boolean;
  packageDir?: string;
  envFile?: string;
  freebsdRelease?: string;
  s3Enabled?: boolean;
}

/**
 * What the .env says about the host (DATA_DIR, LOG_DIR, FREEBSD_RELEASE, S3_ENABLED), under
 * what the command line said: a flag given wins over the .env, the .env over the defaults.
 */
export function withConfig(input: HostOptionsInput, config: Pick<MicropodConfig, "envFile" | "vars" | "paths">): HostOptionsInput {
  return {
    ...input,
    envFile: config.envFile,
    dataDir: input.dataDir ?? config.paths.data,
    logDir: input.logDir ?? config.paths.logs,
    freebsdRelease: input.freebsdRelease ?? config.vars.FREEBSD_RELEASE,
    s3Enabled: input.s3Enabled ?? config.vars.S3_ENABLED === "true",
  };
}

const INTERFACE = /^[A-Za-z][A-Za-z0-9_.]{0,14}$/;
const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;

export function hostOptions(input: HostOptionsInput = {}): HostOptions {
  const pool = input.pool ?? "zroot";
  const o: HostOptions = {
    root: resolve(input.root ?? "/"),
    pool,
    containersDataset: input.containersDataset ?? `${pool}/containers`,
    containersMountpoint: input.containersMountpoint ?? "/var/db/containers",
    dataDataset: input.dataDataset ?? `${pool}/micropod`,
    dataDir: input.dataDir ?? "/var/db/micropod",
    logDir: input.logDir ?? "/var/log/containers",
    egress4: input.egress4,
    egress6: input.egress6,
    withCompose: input.withCompose ?? false,
    force: input.force ?? false,
    packageDir: input.packageDir ?? packageRoot,
    envFile: input.envFile,
    freebsdRelease: input.freebsdRelease,
    s3Enabled: input.s3Enabled,
  };
  for (const [flag, v] of [["--egress-v4", o.egress4], ["--egress-v6", o.egress6]] as const) {
    if (v !== undefined && !INTERFACE.test(v)) throw new UsageError(`${flag}: not an interface name: ${JSON.stringify(v)}`);
  }
  for (const [flag, v] of [["--pool", o.pool], ["--containers-dataset", o.containersDataset], ["--data-dataset", o.dataDataset]] as const) {
    if (!DATASET.test(v) || v.endsWith("/")) throw new UsageError(`${flag}: not a ZFS dataset name: ${JSON.stringify(v)}`);
  }
  for (const [flag, v] of [["--containers-mountpoint", o.containersMountpoint], ["--data-dir", o.dataDir], ["--log-dir", o.logDir]] as const) {
    if (!isAbsolute(v)) throw new UsageError(`${flag}: must be an absolute path, got ${JSON.stringify(v)}`);
  }
  return o;
}

/** A host path (`/etc/pf.conf`) under --root. */
export function hostPath(o: Pick<HostOptions, "root">, path: string): string {
  return o.root === "/" ? path : join(o.root, path);
}
