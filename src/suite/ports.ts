import type { Service } from "./model.js";

/** One host port a service publishes, as its compose `ports:` entry says it. */
export interface DeclaredPort {
  /** The host address it is published on, without brackets; "" means every address. */
  readonly hostIp: string;
  /** undefined: podman picks a free host port. */
  readonly hostPort?: number;
  readonly containerPort: number;
  readonly protocol: string;
  /** The entry as written (after interpolation), for messages. */
  readonly spec: string;
}

/**
 * The ports a service publishes: Compose's short syntax as podman's --publish reads it,
 * `[[HOST_IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]`, an IPv6 host address in brackets, ports
 * or equal-length ranges (`8000-8001:80-81`, one entry per port). The long syntax arrives here
 * already in this form (normalise.ts). An entry that is none of these is returned in `unreadable`.
 */
export function declaredPorts(service: Service): { ports: DeclaredPort[]; unreadable: string[] } {
  const ports: DeclaredPort[] = [];
  const unreadable: string[] = [];
  for (const spec of service.ports) {
    const parsed = parsePortSpec(spec);
    if (parsed) ports.push(...parsed);
    else unreadable.push(spec);
  }
  return { ports, unreadable };
}

function parsePortSpec(spec: string): DeclaredPort[] | undefined {
  const [body, protocol = "tcp"] = spec.split("/") as [string, string?];
  let hostIp = "";
  let rest = body;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(body);
  if (bracketed) [, hostIp, rest] = bracketed as unknown as [string, string, string];
  const parts = rest.split(":");
  if (!bracketed && parts.length === 3) hostIp = parts.shift()!;
  if (parts.length > 2 || (bracketed && parts.length !== 2)) return undefined;
  const container = range(parts.at(-1)!);
  const host = parts.length === 2 && parts[0] !== "" ? range(parts[0]!) : undefined;
  if (!container || (parts.length === 2 && parts[0] !== "" && (!host || host.length !== container.length))) return undefined;
  return container.map((c, i) => ({ hostIp, ...(host ? { hostPort: host[i]! } : {}), containerPort: c, protocol, spec }));
}

function range(text: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = Number(m[2] ?? m[1]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
