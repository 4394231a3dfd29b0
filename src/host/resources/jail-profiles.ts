import { join } from "node:path";
import { PrerequisiteError } from "../../core/errors.js";
import { CONTAINERS_CONF, HOOKS_DIR, withHooksDir } from "../containers-conf.js";
import { readIfExists, writeAction } from "../files.js";
import { jailMechanism } from "../ocijail.js";
import { hostPath } from "../options.js";
import { type Action, type HostContext, type HostResource, runAction } from "../resource.js";
import { pkgVersion } from "../tools/pkg.js";
import { serviceRestart, serviceStatus } from "../tools/service.js";

/** The hook files shipped in the package's hooks.d/ (agreed with the hook's author). */
export const HOOK_FILES = [
  { name: "micropod-jail.json", mode: 0o644 },
  { name: "micropod-jail.sh", mode: 0o755 },
] as const;

export async function ocijailVersion(ctx: Pick<HostContext, "inspect">): Promise<string | undefined> {
  const r = await ctx.inspect.run(pkgVersion("ocijail"), { allowFailure: true });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * The jail profiles (postgresql: private SysV IPC; opensearch: mounts and mlock). The hook is
 * installed whatever ocijail's version, and podman is told where it is; podman_service restarts
 * only when a hook or containers.conf changed, and only if it runs (else it starts later anyway).
 */
export const jailProfiles: HostResource = {
  name: "jail-profiles",
  async plan(ctx) {
    const mechanism = jailMechanism(await ocijailVersion(ctx));
    const actions: Action[] = [];
    const changed: string[] = [];
    for (const f of HOOK_FILES) {
      const source = await readIfExists(join(ctx.options.packageDir, "hooks.d", f.name));
      if (source === undefined) throw new PrerequisiteError(`the micropod package lacks hooks.d/${f.name}`, "reinstall micropod");
      const target = `${HOOKS_DIR}/${f.name}`;
      const current = await readIfExists(hostPath(ctx.options, target));
      if (current !== source) {
        actions.push(writeAction(ctx, target, current, source, f.mode));
        changed.push(target);
      }
    }
    const conf = await readIfExists(hostPath(ctx.options, CONTAINERS_CONF));
    const edited = withHooksDir(conf, HOOKS_DIR);
    if (edited !== conf) {
      actions.push(writeAction(ctx, CONTAINERS_CONF, conf, edited));
      changed.push(`${CONTAINERS_CONF} [engine] hooks_dir`);
    }
    if (actions.length === 0) return { message: `hook installed in ${HOOKS_DIR} and set in ${CONTAINERS_CONF}`, actions, notes: [mechanism.summary] };
    const running = (await ctx.inspect.run(serviceStatus("podman_service"), { allowFailure: true })).exitCode === 0;
    if (running) actions.push(runAction(ctx, serviceRestart("podman_service")));
    return { message: `install ${changed.join(", ")}${running ? "; restart podman_service" : ""}`, actions, notes: [mechanism.summary] };
  },
};
