import { isAbsolute, join, resolve } from "node:path";
import { packageRoot } from "../commands/context.js";
import { UsageError } from "../core/errors.js";

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
  /** Where hooks.d/ and pf/ are found (the installed package). */
  readonly packageDir: string;
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
