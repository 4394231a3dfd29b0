import { PrerequisiteError } from "../../core/errors.js";
import { releaseAfter } from "../../core/version.js";
import { type BaseImageKind, baseImage, baseImageNames } from "../../suite/base-images.js";
import { type HostContext, type HostResource, type HostStep, NotInspectableError, ok, runAction } from "../resource.js";
import { imageExists, pullImage } from "../../podman/image.js";
import { freebsdVersion, releaseOf, unameRelease } from "../tools/system.js";

/** The host's release (15.0), from freebsd-version (userland), else uname -r. */
export async function hostRelease(ctx: HostContext): Promise<string> {
  for (const c of [freebsdVersion(), unameRelease()]) {
    const r = await ctx.inspect.run(c, { allowFailure: true });
    const release = r.exitCode === 0 ? releaseOf(r.stdout) : undefined;
    if (release) return release;
  }
  throw new PrerequisiteError("cannot tell the FreeBSD release (freebsd-version and uname -r gave nothing usable)", "freebsd-version");
}

export const baseImages: HostResource = {
  name: "base-images",
  checks: (o) => `podman image exists: the FreeBSD base images at ${o.freebsdRelease ?? "the host's release (freebsd-version)"}`,
  async plan(ctx) {
    // The .env's FREEBSD_RELEASE is what the suite builds FROM; without a .env, the host's own.
    const hostRel = await hostRelease(ctx);
    const release = ctx.options.freebsdRelease ?? hostRel;
    const notes = releaseAfter(release, hostRel) ? [`FREEBSD_RELEASE=${release} (from the .env) is newer than this host's ${hostRel}: containers cannot run a userland newer than the kernel (freebsd-update the host, or lower FREEBSD_RELEASE)`] : [];
    const actions: HostStep[] = [];
    const missing: string[] = [];
    for (const kind of Object.keys(baseImageNames) as BaseImageKind[]) {
      const image = baseImage(kind, release);
      // Exit 1: absent. Without podman (a fresh host, before the packages step installs it) no
      // image can be there either.
      if (!(await podmanHasImage(ctx, image))) {
        missing.push(image);
        actions.push(runAction(ctx, pullImage(image)));
      }
    }
    if (actions.length === 0) return ok(`FreeBSD ${release} base images present`, notes);
    return { message: `pull ${missing.join(" ")}`, actions, notes, fix: missing.map((i) => `podman pull ${i}`).join(" && ") };
  },
};

async function podmanHasImage(ctx: HostContext, image: string): Promise<boolean> {
  try {
    return (await ctx.inspect.run(imageExists(image), { allowFailure: true })).exitCode === 0;
  } catch (err) {
    if (err instanceof NotInspectableError && err.missingTool === "podman") return false;
    throw err;
  }
}
