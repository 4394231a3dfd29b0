import { hostPath } from "../options.js";
import { readIfExists, writeAction } from "../files.js";
import { rcConfPlan } from "../rc-conf.js";
import { type Action, type HostResource, ok, runAction } from "../resource.js";
import { serviceRestart } from "../tools/service.js";
import { sysctlGet, sysctlSet } from "../tools/sysctl.js";

export const SYSCTL_CONF = "/etc/sysctl.conf";
const FILTER_LOCAL = "net.pf.filter_local";

/**
 * Set `name=value` in sysctl.conf: replace the line that sets it, or append one. `enough` says
 * whether a value already there will do (default: only the same value); the administrator's
 * larger timeout stays.
 */
export function withSysctl(content: string, name: string, value: string, why: string, enough: (current: string) => boolean = (c) => c === value): string {
  const re = new RegExp(`^\\s*${name.replace(/\./g, "\\.")}\\s*=\\s*(\\S*)`);
  const lines = content === "" ? [] : content.replace(/\n$/, "").split("\n");
  const line = `${name}=${value}\t# micropod: ${why}`;
  const at = lines.findIndex((l) => re.test(l));
  if (at >= 0) {
    if (enough(re.exec(lines[at]!)?.[1] ?? "")) return content;
    lines[at] = line;
  } else lines.push(line);
  return `${lines.join("\n")}\n`;
}

/** net.pf.filter_local: pf filters (and redirects) traffic the host sends to itself; live and at boot. */
export const filterLocal: HostResource = {
  name: "sysctl",
  async plan(ctx) {
    const actions: Action[] = [];
    // Unknown until pf is loaded: the same as not set.
    const live = await ctx.inspect.run(sysctlGet(FILTER_LOCAL), { allowFailure: true });
    if (live.exitCode !== 0 || live.stdout.trim() !== "1") actions.push(runAction(ctx, sysctlSet(FILTER_LOCAL, "1")));
    const current = (await readIfExists(hostPath(ctx.options, SYSCTL_CONF))) ?? "";
    const desired = withSysctl(current, FILTER_LOCAL, "1", "podman's port forwards from the host itself");
    if (desired !== current) actions.push(writeAction(ctx, SYSCTL_CONF, current === "" ? undefined : current, desired));
    if (actions.length === 0) return ok(`${FILTER_LOCAL}=1 live and in ${SYSCTL_CONF}`);
    return { message: `${FILTER_LOCAL}=1${live.stdout.trim() === "1" ? "" : " live"}${desired !== current ? ` and in ${SYSCTL_CONF}` : ""}`, actions };
  },
};

/** IPv4 and IPv6 forwarding for the containers' NAT; routing restarts only when rc.conf changed. */
export const gateway: HostResource = {
  name: "gateway",
  async plan(ctx) {
    const rc = await rcConfPlan(ctx, { gateway_enable: "YES", ipv6_gateway_enable: "YES" });
    if (rc.differing.length === 0) return ok("gateway_enable and ipv6_gateway_enable are YES");
    return { message: `set ${rc.differing.map((n) => `${n}=YES`).join(" ")} and restart routing`, actions: [...rc.actions, runAction(ctx, serviceRestart("routing"))] };
  },
};
