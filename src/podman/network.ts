import { type Command, command, inspect } from "../core/command.js";

export interface NetworkOptions {
  readonly name: string;
  readonly driver?: string;
  readonly ipv6?: boolean;
  readonly subnets?: ReadonlyArray<{ readonly subnet: string; readonly gateway?: string }>;
  readonly labels?: Readonly<Record<string, string>>;
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
    ...(o.ipv6 ? ["--ipv6"] : []),
    // --subnet and --gateway pair up by position: one gateway per subnet, in order.
    ...(o.subnets ?? []).flatMap((s) => ["--subnet", s.subnet, ...(s.gateway ? ["--gateway", s.gateway] : [])]),
    o.name,
  ]);
