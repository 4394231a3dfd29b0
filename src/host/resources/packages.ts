import { pkgInstall, pkgInstalled } from "../tools/pkg.js";
import { type HostResource, ok, runAction } from "../resource.js";

export const REQUIRED_PACKAGES = ["podman-suite", "ocijail", "jq", "git"] as const;

export const packages: HostResource = {
  name: "packages",
  async plan(ctx) {
    const wanted = [...REQUIRED_PACKAGES, ...(ctx.options.withCompose ? ["podman-compose"] : [])];
    // Exit 1 means none is installed (or pkg itself is not bootstrapped yet): all missing.
    const r = await ctx.inspect.run(pkgInstalled(wanted), { allowFailure: true });
    const installed = new Set(r.exitCode === 0 ? r.stdout.split("\n").map((l) => l.trim()) : []);
    const missing = wanted.filter((p) => !installed.has(p));
    if (missing.length === 0) return ok(`installed: ${wanted.join(" ")}`);
    const install = pkgInstall(missing);
    return { message: `install ${missing.join(" ")}`, actions: [runAction(ctx, install)], fix: `pkg install -y ${missing.join(" ")}` };
  },
};
