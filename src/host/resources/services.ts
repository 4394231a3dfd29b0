import { rcConfPlan } from "../rc-conf.js";
import { type HostStep, type HostResource, ok, runAction } from "../resource.js";
import { serviceStart, serviceStatus } from "../tools/service.js";

/** A resource for services that must be enabled in rc.conf and running now. */
export function enabledAndRunning(name: string, rcVars: Readonly<Record<string, string>>, services: readonly string[]): HostResource {
  return {
    name,
    checks: () => `${Object.entries(rcVars).map(([k, v]) => `${k}=${v}`).join(" ")} in rc.conf (sysrc); ${services.map((s) => `service ${s} status`).join(", ")}`,
    async plan(ctx) {
      const rc = await rcConfPlan(ctx, rcVars);
      const actions: HostStep[] = [...rc.actions];
      const stopped: string[] = [];
      for (const s of services) {
        const r = await ctx.inspect.run(serviceStatus(s), { allowFailure: true });
        if (r.exitCode !== 0) {
          stopped.push(s);
          actions.push(runAction(ctx, serviceStart(s)));
        }
      }
      if (actions.length === 0) return ok(`${services.join(", ")} enabled and running`);
      const parts = [rc.differing.length ? `set ${rc.differing.map((n) => `${n}=${rcVars[n]}`).join(" ")}` : "", stopped.length ? `start ${stopped.join(", ")}` : ""];
      return { message: parts.filter(Boolean).join("; "), actions, fix: actions.map((a) => a.diff.join(" ").replace(/^\$ /, "")).join(" && ") };
    },
  };
}

export const pfService = enabledAndRunning("pf-service", { pf_enable: "YES", pflog_enable: "YES" }, ["pf", "pflog"]);
export const podmanServices = enabledAndRunning("podman-services", { podman_service_enable: "YES", podman_enable: "YES" }, ["podman_service", "podman"]);
