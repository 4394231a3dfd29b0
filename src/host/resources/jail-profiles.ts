import { isAbsolute, join } from "node:path";
import { PrerequisiteError } from "../../core/errors.js";
import { CONTAINERS_CONF, HOOKS_DIR, withHooksDir } from "../containers-conf.js";
import { readIfExists, writeAction } from "../files.js";
import { jailMechanism } from "../ocijail.js";
import { hostPath } from "../options.js";
import { type HostStep, type HostContext, type HostResource, runAction } from "../resource.js";
import { pkgVersion } from "../tools/pkg.js";
import { serviceRestart, serviceStatus } from "../tools/service.js";

/** The hook shipped in the package's hooks.d/ (file names agreed with the hook's author). */
export const HOOK_JSON = "micropod-jail.json";
export const HOOK_SCRIPT = "micropod-jail.sh";

/**
 * Where each hook file goes: the JSON into podman's hooks_dir, the script where the JSON's
 * `hook.path` says podman will run it (one source of truth for that path: the JSON).
 */
export async function hookInstall(packageDir: string): Promise<{ source: string; content: string; target: string; mode: number }[]> {
  const read = async (name: string) => {
    const source = join(packageDir, "hooks.d", name);
    const content = await readIfExists(source);
    if (content === undefined) throw new PrerequisiteError(`the micropod package lacks hooks.d/${name}`, "reinstall micropod");
    return { source, content };
  };
  const json = await read(HOOK_JSON);
  const script = await read(HOOK_SCRIPT);
  let path: unknown;
  try {
    path = (JSON.parse(json.content) as { hook?: { path?: unknown } }).hook?.path;
  } catch (err) {
    throw new PrerequisiteError(`${json.source} is not valid JSON: ${(err as Error).message}`, "reinstall micropod");
  }
  if (typeof path !== "string" || !isAbsolute(path)) throw new PrerequisiteError(`${json.source}: hook.path must be an absolute path`, "reinstall micropod");
  return [
    { ...json, target: `${HOOKS_DIR}/${HOOK_JSON}`, mode: 0o644 },
    { ...script, target: path, mode: 0o755 },
  ];
}

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
  checks: () => `the micropod-jail hook in ${HOOKS_DIR} and its script, [engine] hooks_dir in ${CONTAINERS_CONF}, ocijail's version (pkg query), podman_service (service status)`,
  async plan(ctx) {
    const mechanism = jailMechanism(await ocijailVersion(ctx));
    const actions: HostStep[] = [];
    const changed: string[] = [];
    for (const f of await hookInstall(ctx.options.packageDir)) {
      const current = await readIfExists(hostPath(ctx.options, f.target));
      if (current !== f.content) {
        actions.push(writeAction(ctx, f.target, current, f.content, f.mode));
        changed.push(f.target);
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
