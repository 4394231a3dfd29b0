import { type Command, command, inspect } from "../core/command.js";

export interface NetworkOptions {
  readonly name: string;
  readonly driver?: string;
  readonly ipv6?: boolean;
  readonly subnets?: ReadonlyArray<{ readonly subnet: string; readonly gateway?: string }>;
  readonly labels?: Readonly<Record<string, string>>;
  /** Driver options (`--opt`), like isolate=true. */
  readonly options?: Readonly<Record<string, string>>;
  readonly internal?: boolean;
  readonly disableDns?: boolean;
}

export const networkExists = (name: string): Command => inspect(["podman", "network", "exists", name]);

export const listNetworks = (): Command => inspect(["podman", "network", "ls", "--format", "{{.Name}}"]);

export const createNetwork = (o: NetworkOptions): Command =>
  command([
    "podman",
    "network",
    "create",
    "--driver",
    o.driver ?? "bridge",
    ...Object.entries(o.labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    ...Object.entries(o.options ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([k, v]) => ["--opt", `${k}=${v}`]),
    ...(o.ipv6 ? ["--ipv6"] : []),
    ...(o.internal ? ["--internal"] : []),
    ...(o.disableDns ? ["--disable-dns"] : []),
    // --subnet and --gateway pair up by position: one gateway per subnet, in order.
    ...(o.subnets ?? []).flatMap((s) => ["--subnet", s.subnet, ...(s.gateway ? ["--gateway", s.gateway] : [])]),
    o.name,
  ]);

export const inspectNetwork = (...names: string[]): Command => inspect(["podman", "network", "inspect", ...names]);

export const removeNetwork = (name: string): Command => command(["podman", "network", "rm", name]);

/** Works on a stopped container too (podman 3.0 and later). */
export const disconnectNetwork = (network: string, container: string): Command => command(["podman", "network", "disconnect", network, container]);

export const connectNetwork = (network: string, container: string, o: { ipv4?: string; ipv6?: string; aliases?: readonly string[] } = {}): Command =>
  command([
    "podman",
    "network",
    "connect",
    ...(o.ipv4 ? ["--ip", o.ipv4] : []),
    ...(o.ipv6 ? ["--ip6", o.ipv6] : []),
    ...(o.aliases ?? []).flatMap((a) => ["--alias", a]),
    network,
    container,
  ]);

/** Names of every container, running or not, attached to a network. */
export const containersOnNetwork = (network: string): Command => inspect(["podman", "ps", "--all", "--format", "{{.Names}}", "--filter", `network=${network}`]);
