import { hostPath } from "../options.js";
import { readIfExists, writeAction } from "../files.js";
import { rcConfPlan } from "../rc-conf.js";
import { type HostStep, type HostContext, type HostResource, ok, runAction } from "../resource.js";
import { parseRouteInterface, routeGetDefault } from "../tools/route.js";
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
  checks: () => `${FILTER_LOCAL}=1 live (sysctl -n) and in ${SYSCTL_CONF}`,
  async plan(ctx) {
    const actions: HostStep[] = [];
    // Unknown until pf is loaded: the same as not set.
    const live = await ctx.inspect.run(sysctlGet(FILTER_LOCAL), { allowFailure: true });
    if (live.exitCode !== 0 || live.stdout.trim() !== "1") actions.push(runAction(ctx, sysctlSet([FILTER_LOCAL, "1"])));
    const current = (await readIfExists(hostPath(ctx.options, SYSCTL_CONF))) ?? "";
    const desired = withSysctl(current, FILTER_LOCAL, "1", "podman's port forwards from the host itself");
    if (desired !== current) actions.push(writeAction(ctx, SYSCTL_CONF, current === "" ? undefined : current, desired));
    if (actions.length === 0) return ok(`${FILTER_LOCAL}=1 live and in ${SYSCTL_CONF}`);
    return { message: `${FILTER_LOCAL}=1${live.stdout.trim() === "1" ? "" : " live"}${desired !== current ? ` and in ${SYSCTL_CONF}` : ""}`, actions };
  },
};

const FORWARDING = ["net.inet.ip.forwarding", "net.inet6.ip6.forwarding"] as const;
const RFC6204W3 = "net.inet6.ip6.rfc6204w3";

/**
 * IPv4 and IPv6 forwarding for the containers' NAT: set live with sysctl and at boot in rc.conf.
 * Never `service routing restart`: stopping routing flushes the routing table, and a default route
 * learned from DHCP or a router advertisement does not come back, which can cut off the
 * administrator's SSH session.
 */
export const gateway: HostResource = {
  name: "gateway",
  checks: () => `gateway_enable and ipv6_gateway_enable in rc.conf (sysrc); ${FORWARDING.join(" and ")} live (sysctl -n); how the IPv6 default route was learned (route -n get -inet6 default)`,
  async plan(ctx) {
    const rc = await rcConfPlan(ctx, { gateway_enable: "YES", ipv6_gateway_enable: "YES" });
    const live = await ctx.inspect.run(sysctlGet(...FORWARDING), { allowFailure: true });
    const values = live.exitCode === 0 ? live.stdout.split("\n").map((v) => v.trim()) : [];
    const off = FORWARDING.filter((_, i) => values[i] !== "1");
    const actions = [...rc.actions];
    if (off.length > 0) actions.push(runAction(ctx, sysctlSet(...off.map((n) => [n, "1"] as const))));
    const notes = await raNotes(ctx);
    if (actions.length === 0) return ok("gateway_enable and ipv6_gateway_enable are YES, forwarding on", notes);
    const parts = [
      ...(rc.differing.length > 0 ? [`set ${rc.differing.map((n) => `${n}=YES`).join(" ")}`] : []),
      ...(off.length > 0 ? [`${off.map((n) => `${n}=1`).join(" ")} live`] : []),
    ];
    return { message: parts.join("; "), actions, notes };
  },
};

/**
 * With IPv6 forwarding on, the kernel ignores router advertisements unless rfc6204w3 is 1
 * (nd6_rtr.c), so a default route an RA installed is not renewed and expires with its lifetime.
 * ipv6_cpe_wanif (rc.conf(5)) sets rfc6204w3=1 and accept_rtadv on that interface at boot. The kernel
 * installs an RA's route without STATIC (route(8) add sets it), so a static route needs nothing.
 * Reported, not changed: which interface faces the upstream router is the administrator's call.
 */
async function raNotes(ctx: HostContext): Promise<string[]> {
  const route = await ctx.inspect.run(routeGetDefault("inet6"), { allowFailure: true });
  if (route.exitCode !== 0 || /^\s*flags:.*\bSTATIC\b/m.test(route.stdout)) return [];
  const w3 = await ctx.inspect.run(sysctlGet(RFC6204W3), { allowFailure: true });
  if (w3.exitCode === 0 && w3.stdout.trim() === "1") return [];
  const ifname = parseRouteInterface(route.stdout) ?? "<egress interface>";
  return [
    `the IPv6 default route via ${ifname} came from a router advertisement, which FreeBSD ignores while forwarding: it expires unless you set ipv6_cpe_wanif="${ifname}" in /etc/rc.conf (or ${RFC6204W3}=1 in /etc/sysctl.conf and live)`,
  ];
}
