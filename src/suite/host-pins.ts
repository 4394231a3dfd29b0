import { isIP } from "node:net";
import { ConfigError, type Problem } from "../core/errors.js";
import type { Service, Suite } from "./model.js";
import { type SingleRole, rolesOf } from "./roles.js";

/** A configuration variable that names a host the containers connect to, and the service it means by default. */
export interface HostVariable {
  readonly variable: string;
  /** The role whose service a bare name means when no service answers to it (DB_HOST: the database). */
  readonly role?: SingleRole;
}

/**
 * Make host names in the configuration resolvable inside the containers.
 *
 * The seed suite writes `DB_HOST="postgres"` and relies on the network's DNS plugin. FreeBSD
 * podman has none unless cni-dnsname is installed (DESIGN.md), and micropod's containers reach
 * each other by static address, so a name is pinned in every container's /etc/hosts
 * (`--add-host NAME:ADDRESS`) to the static address of the service it names: the service with
 * that name, container name or network alias, else, for a name without a dot, the variable's
 * role (DB_HOST: the database service). An address, `localhost` and a dotted name that no
 * service answers to (a DNS name such as db.example.org) are left alone. A bare name that
 * cannot be pinned is refused with the reason: it would not resolve.
 */
export function pinHostNames(suite: Suite, vars: Readonly<Record<string, string>>, hosts: readonly HostVariable[], envFile?: string): Suite {
  const pins = new Map<string, string>();
  const problems: Problem[] = [];
  for (const h of hosts) {
    const name = vars[h.variable];
    if (!name || isIP(name) !== 0 || /^\[.*\]$/.test(name) || name === "localhost") continue;
    const named = [...suite.services.values()].find((s) => s.name === name || s.containerName === name || s.networks.some((n) => n.aliases.includes(name)));
    const roleService = h.role ? rolesOf(suite)[h.role] : undefined;
    const target = named ?? (name.includes(".") || !roleService ? undefined : suite.services.get(roleService));
    if (!target) {
      if (!name.includes(".")) problems.push({ ...(envFile ? { file: envFile } : {}), path: h.variable, message: `${name} names no service of ${suite.file}${h.role ? ` and it has no ${h.role} service` : ""}: the containers could not resolve it; set an address or a service name` });
      continue;
    }
    const address = staticAddress(target);
    if (!address) {
      problems.push({ ...(envFile ? { file: envFile } : {}), path: h.variable, message: `${name} means the service ${target.name}, which has no static address to pin the name to (podman --add-host): give it ipv4_address, or set ${h.variable} to an address` });
      continue;
    }
    pins.set(name, address);
  }
  if (problems.length) throw new ConfigError("host names in the configuration cannot be resolved in the containers", problems);
  if (pins.size === 0) return suite;
  const services = new Map<string, Service>();
  for (const [key, s] of suite.services) {
    // Host-networked containers use the host's /etc/hosts; build-only services never run.
    if (s.buildOnly || s.networkMode) {
      services.set(key, s);
      continue;
    }
    const own = new Set(s.extraHosts.map((e) => e.split(/[:=]/)[0]));
    const added = [...pins].filter(([n]) => !own.has(n)).map(([n, a]) => `${n}:${a}`);
    services.set(key, added.length ? { ...s, extraHosts: [...s.extraHosts, ...added] } : s);
  }
  return { ...suite, services };
}

function staticAddress(s: Service): string | undefined {
  return s.networks.find((n) => n.ipv4Address)?.ipv4Address ?? s.networks.find((n) => n.ipv6Address)?.ipv6Address;
}
