import { managedHeader, ownership, readIfExists, writeAction } from "../files.js";
import { hostPath } from "../options.js";
import { type HostResource, ok } from "../resource.js";

export const PKG_REPO_FILE = "/usr/local/etc/pkg/repos/FreeBSD.conf";

/**
 * FreeBSD 15 names its ports repository `FreeBSD-ports` (quarterly by default); this override
 * switches it to `latest`, where podman-suite and ocijail get fixes first.
 */
export function pkgRepoConf(): string {
  return `${managedHeader("the ports repository on the latest stream")}FreeBSD-ports: {
  url: "pkg+https://pkg.FreeBSD.org/\${ABI}/latest"
}
`;
}

const ON_LATEST = /url\s*:\s*"[^"]*\/latest"/;

export const pkgRepo: HostResource = {
  name: "pkg-repo",
  checks: () => `${PKG_REPO_FILE} selects the ports repository's latest stream`,
  async plan(ctx) {
    const desired = pkgRepoConf();
    const current = await readIfExists(hostPath(ctx.options, PKG_REPO_FILE));
    if (current === desired) return ok(`${PKG_REPO_FILE} selects the latest stream`);
    const owner = ownership(current);
    if (owner === "administrator" && ON_LATEST.test(current!)) return ok(`${PKG_REPO_FILE} (the administrator's) already selects latest`);
    const write = writeAction(ctx, PKG_REPO_FILE, current, desired);
    if (owner === "administrator" && !ctx.options.force) {
      return { message: `${PKG_REPO_FILE} is the administrator's and does not select latest`, actions: [write], refusal: `${PKG_REPO_FILE} was not written by micropod; rerun with --force to replace it (a backup is kept) or point its url at .../latest yourself` };
    }
    return { message: `${current === undefined ? "create" : "update"} ${PKG_REPO_FILE}: pkg repository on latest`, actions: [write] };
  },
};
