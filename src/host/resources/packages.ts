import { freebsdPackage, installSpec, packagesFor } from "../freebsd-packages.js";
import { pkgInstall, pkgInstalledOrigins } from "../tools/pkg.js";
import { type HostResource, ok, runAction } from "../resource.js";

const PODMAN_COMPOSE = freebsdPackage("sysutils/podman-compose");
/** The host's packages (src/host/freebsd-packages.ts); podman-compose only with --with-compose. */
export const REQUIRED_PACKAGES = packagesFor("host").filter((p) => p !== PODMAN_COMPOSE);

export const packages: HostResource = {
  name: "packages",
  checks: (o) => `pkg query %o: ${[...REQUIRED_PACKAGES, ...(o.withCompose ? [PODMAN_COMPOSE] : [])].map(installSpec).join(" ")} installed`,
  async plan(ctx) {
    const wanted = [...REQUIRED_PACKAGES, ...(ctx.options.withCompose ? [PODMAN_COMPOSE] : [])];
    const specs = wanted.map(installSpec);
    // Exit 1 means none is installed (or pkg itself is not bootstrapped yet): all missing.
    const r = await ctx.inspect.run(pkgInstalledOrigins(specs), { allowFailure: true });
    const installed = new Set(r.exitCode === 0 ? r.stdout.split("\n").map((l) => l.trim()) : []);
    const missing = wanted.filter((p) => !installed.has(p.origin)).map(installSpec);
    if (missing.length === 0) return ok(`installed: ${specs.join(" ")}`);
    return { message: `install ${missing.join(" ")}`, actions: [runAction(ctx, pkgInstall(missing))], fix: `pkg install -y ${missing.join(" ")}` };
  },
};
