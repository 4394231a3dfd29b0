import type { HostResource } from "../resource.js";
import { baseImages } from "./base-images.js";
import { boot } from "./boot.js";
import { fdescfs } from "./fdescfs.js";
import { jailProfiles } from "./jail-profiles.js";
import { filterLocal, gateway } from "./kernel.js";
import { logRotation } from "./logs.js";
import { packages } from "./packages.js";
import { pf } from "./pf.js";
import { pkgRepo } from "./pkg-repo.js";
import { pfService, podmanServices } from "./services.js";
import { zfsDatasets } from "./zfs-datasets.js";

/**
 * The host resources in the order they depend on each other: the repository before packages,
 * pf loaded before its sysctl exists, the hook and containers.conf before podman starts, podman
 * running before images are pulled. The boot scripts need nothing but the packages; they come
 * before the pulls so a network failure there does not leave the host without them.
 */
export const hostResources: readonly HostResource[] = [
  pkgRepo,
  packages,
  zfsDatasets,
  logRotation,
  pf,
  pfService,
  filterLocal,
  gateway,
  fdescfs,
  jailProfiles,
  podmanServices,
  boot,
  baseImages,
];
