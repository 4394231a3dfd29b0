import { BlockList, isIPv6 } from "node:net";
import type { Runner } from "../core/runner.js";
import { inspectContainer, runningContainerNames } from "../podman/container.js";
import { type PublishedPort, readNames, readPublishedPorts } from "../podman/readers.js";
import { canonicalAddress } from "../suite/checks.js";
import type { Service, Suite } from "../suite/model.js";
import { declaredPorts } from "../suite/ports.js";
import type { Finding } from "./doctor.js";

/**
 * The only ports a Mastodon instance needs reachable from outside the host: HTTP (ACME HTTP-01
 * challenges and the redirect to HTTPS) and HTTPS. In the bundled suite, haproxy's.
 */
export const PUBLIC_PORTS: readonly number[] = [80, 443];

const SUBJECT = "ports";

/** 127.0.0.0/8 and ::1 (and the IPv4-mapped 127/8): what is published there never leaves the host. */
const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

export function isLoopback(hostIp: string): boolean {
  const ip = hostIp.replace(/^\[|\]$/g, "");
  if (ip === "") return false;
  try {
    return loopback.check(ip, isIPv6(ip) ? "ipv6" : "ipv4");
  } catch {
    return false;
  }
}

type Mapping = Pick<PublishedPort, "hostIp" | "containerPort" | "protocol"> & { readonly hostPort?: number };

const shown = (p: Mapping) => `${p.hostIp === "" || p.hostIp === "0.0.0.0" || p.hostIp === "::" ? "*" : isIPv6(p.hostIp) ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort ?? "(any)"} -> ${p.containerPort}/${p.protocol}`;

/** Where a mapping can be reached from, and whether that is allowed: loopback anything, public only 80 and 443. */
function exposure(p: Mapping): { allowed: boolean; where: string } {
  if (isLoopback(p.hostIp)) return { allowed: true, where: "loopback: stays on this host" };
  const where = p.hostIp === "" || p.hostIp === "0.0.0.0" || p.hostIp === "::" ? "every address" : "an address other hosts reach";
  const allowed = p.hostPort !== undefined && PUBLIC_PORTS.includes(p.hostPort) && p.protocol === "tcp";
  return { allowed, where: allowed ? `public: ${p.hostPort === 443 ? "HTTPS" : "HTTP"}` : where };
}

/** IPv4 before IPv6, then by address and port: podman's inspect has no order of its own. */
const byAddress = (a: PublishedPort, b: PublishedPort) =>
  Number(isIPv6(a.hostIp)) - Number(isIPv6(b.hostIp)) || (a.hostIp < b.hostIp ? -1 : a.hostIp > b.hostIp ? 1 : 0) || a.hostPort - b.hostPort || a.containerPort - b.containerPort;

const sameMapping = (a: Mapping, b: Mapping) =>
  canonicalAddress(a.hostIp || "0.0.0.0") === canonicalAddress(b.hostIp || "0.0.0.0") &&
  (a.hostPort === undefined || b.hostPort === undefined || a.hostPort === b.hostPort) &&
  a.containerPort === b.containerPort &&
  a.protocol === b.protocol;

/**
 * `micropod doctor`: every port the suite publishes on the host, from the suite definition
 * (each service's compose `ports:`) and from podman's port mappings of every running container,
 * each listed. A finding to fix: a port on a public address (or on every address) other than 80
 * and 443; a running suite container publishing what its service does not declare (it predates
 * the file); a suite service sharing the host's network (whatever it listens on is the host's).
 * Loopback-only ports never leave the host and are listed as such.
 */
export async function publishedPortFindings(runner: Runner, suite?: Suite): Promise<Finding[]> {
  const names = readNames((await runner.run(runningContainerNames())).stdout);
  const running = names.length ? readPublishedPorts((await runner.run(inspectContainer(...names))).stdout) : [];
  const services = suite ? [...suite.services.values()].filter((s) => !s.buildOnly) : [];
  const byContainer = new Map(services.map((s) => [s.containerName, s] as const));
  const out: Finding[] = [];

  for (const s of services) for (const spec of declaredPorts(s).unreadable) out.push({ level: "warn", subject: SUBJECT, message: `${s.name}: cannot read the ports: entry ${JSON.stringify(spec)}` });

  for (const c of running) {
    const service = byContainer.get(c.name);
    const declared = service ? declaredPorts(service).ports : [];
    if (c.networkMode === "host") out.push(hostNetwork(c.name, service));
    for (const p of [...c.ports].sort(byAddress)) {
      const { allowed, where } = exposure(p);
      const line = `${c.name}: ${shown(p)}`;
      if (service && !declared.some((d) => sameMapping(d, p))) {
        out.push({ level: "fix", subject: SUBJECT, message: `${line} is not among ${service.name}'s ports in ${suite!.file}: the container predates the file`, fix: "micropod start (recreates it as the file says)" });
      } else if (!allowed) {
        out.push({ level: "fix", subject: SUBJECT, message: `${line} is published on ${where}: only ${PUBLIC_PORTS.join(" and ")} need to leave the host`, fix: service ? publishFix(suite!, service) : `recreate it publishing on 127.0.0.1 (-p 127.0.0.1:${p.hostPort}:${p.containerPort}), or stop it: podman stop ${c.name}` });
      } else out.push({ level: "ok", subject: SUBJECT, message: `${line} (${where})` });
    }
  }

  const up = new Set(running.map((c) => c.name));
  for (const s of services) {
    if (up.has(s.containerName)) continue;
    if (s.networkMode === "host") out.push(hostNetwork(s.containerName, s));
    for (const p of declaredPorts(s).ports) {
      const { allowed, where } = exposure(p);
      const line = `${s.name}: ${shown(p)} (${s.containerName} is not running)`;
      out.push(allowed ? { level: "ok", subject: SUBJECT, message: `${line} (${where})` } : { level: "fix", subject: SUBJECT, message: `${line} would be published on ${where}: only ${PUBLIC_PORTS.join(" and ")} need to leave the host`, fix: publishFix(suite!, s) });
    }
  }
  if (out.length === 0) out.push({ level: "ok", subject: SUBJECT, message: "no container publishes a port" });
  return out;
}

function publishFix(suite: Suite, service: Service): string {
  return `remove it from ${service.name}'s ports: in ${suite.file}, or publish it on 127.0.0.1 only; then micropod start`;
}

function hostNetwork(container: string, service?: Service): Finding {
  return {
    level: service ? "fix" : "warn",
    subject: SUBJECT,
    message: `${container} shares the host's network: every port it listens on is on the host's own addresses, and podman maps none (sockstat -46l lists them)`,
    ...(service ? { fix: `give ${service.name} the suite's networks instead of network_mode: host` } : {}),
  };
}
