import type { HostResource } from "../resource.js";
import { baseImages } from "./base-images.js";
import { fdescfs } from "./fdescfs.js";
import { jailProfiles } from "./jail-profiles.js";
import { filterLocal, gateway } from "./kernel.js";
import { logs } from "./logs.js";
import { packages } from "./packages.js";
import { pf } from "./pf.js";
import { pkgRepo } from "./pkg-repo.js";
import { pfService, podmanServices } from "./services.js";
import { zfsDatasets } from "./zfs-datasets.js";

/**
 * The host resources in the order they depend on each other: the repository before packages,
 * pf loaded before its sysctl exists, the hook and containers.conf before podman starts, podman
 * running before images are pulled.
 */
export const hostResources: readonly HostResource[] = [
  pkgRepo,
  packages,
  zfsDatasets,
  logs,
  pf,
  pfService,
  filterLocal,
  gateway,
  fdescfs,
  jailProfiles,
  podmanServices,
  baseImages,
];
