/**
 * Typed readers for podman's JSON output. podman's field names moved between 4.x and 5.x
 * (and between `ps` and `inspect`), so each reader accepts the shapes seen in both and hands back
 * one small type with only what micropod reads. Bad JSON is an error naming the command.
 */
export type ContainerStateName = "created" | "running" | "paused" | "exited" | "stopped" | "stopping" | "configured" | "initialized" | "removing" | "unknown";

/**
 * The container's process has ended. podman says "stopped" until conmon's exit command has
 * cleaned the container up, "exited" after (containers/podman libpod/define/containerstate.go);
 * on a loaded host the first lasts long enough for the next command to see it.
 */
export const hasExited = (state: ContainerStateName): boolean => state === "exited" || state === "stopped";

/** One line of `podman ps --all --format json`. */
export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly state: ContainerStateName;
  readonly exitCode: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Unix seconds; undefined when never started. */
  readonly startedAt?: number;
}

/** What micropod reads from `podman container inspect`. */
export interface ContainerDetails {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly state: ContainerStateName;
  readonly running: boolean;
  readonly exitCode: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly restartCount: number;
  /** podman's own health status when it runs healthchecks (Linux); empty on FreeBSD. */
  readonly health?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly stopTimeoutSec?: number;
  /** The OCI runtime podman ran it with (`OCIRuntime`: runc, crun, ocijail). */
  readonly ociRuntime: string;
}

export interface ImageDetails {
  readonly id: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly created?: string;
}

export interface SecretDetails {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

function parseArray(text: string, what: string): Json[] {
  const t = text.trim();
  if (t === "") return [];
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (err) {
    throw new Error(`cannot read ${what} output as JSON: ${(err as Error).message}`, { cause: err });
  }
  if (v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${what} output is not a JSON array`);
  return v.filter((x): x is Json => typeof x === "object" && x !== null);
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : 0);
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const strMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, String(x)]));

function stateName(v: unknown): ContainerStateName {
  const s = str(v).toLowerCase();
  const known: ContainerStateName[] = ["created", "running", "paused", "exited", "stopped", "stopping", "configured", "initialized", "removing"];
  return (known as string[]).includes(s) ? (s as ContainerStateName) : "unknown";
}

export function readContainerList(text: string): ContainerSummary[] {
  return parseArray(text, "podman ps").map((c) => {
    const names = c.Names;
    const name = Array.isArray(names) ? str(names[0]) : str(names);
    const started = num(c.StartedAt);
    return {
      id: str(c.Id ?? c.ID),
      name,
      image: str(c.Image),
      imageId: str(c.ImageID),
      state: stateName(c.State),
      exitCode: num(c.ExitCode),
      labels: strMap(c.Labels),
      ...(started > 0 ? { startedAt: started } : {}),
    };
  });
}

export function readContainerInspect(text: string): ContainerDetails[] {
  return parseArray(text, "podman container inspect").map((c) => {
    const state = obj(c.State);
    const config = obj(c.Config);
    const health = obj(state.Health ?? state.Healthcheck);
    const stop = config.StopTimeout;
    return {
      id: str(c.Id),
      name: str(c.Name).replace(/^\//, ""),
      image: str(c.ImageName ?? config.Image),
      imageId: str(c.Image),
      state: stateName(state.Status),
      running: state.Running === true,
      exitCode: num(state.ExitCode),
      ...(str(state.StartedAt) && !str(state.StartedAt).startsWith("0001-") ? { startedAt: str(state.StartedAt) } : {}),
      ...(str(state.FinishedAt) && !str(state.FinishedAt).startsWith("0001-") ? { finishedAt: str(state.FinishedAt) } : {}),
      restartCount: num(c.RestartCount),
      ...(str(health.Status) ? { health: str(health.Status) } : {}),
      labels: strMap(config.Labels),
      annotations: strMap(config.Annotations),
      ...(typeof stop === "number" ? { stopTimeoutSec: stop } : {}),
      ociRuntime: str(c.OCIRuntime),
    };
  });
}

export function readImageInspect(text: string): ImageDetails[] {
  return parseArray(text, "podman image inspect").map((i) => {
    const config = obj(i.Config);
    return {
      id: str(i.Id),
      tags: Array.isArray(i.RepoTags) ? i.RepoTags.map(str) : [],
      labels: strMap(i.Labels ?? config.Labels),
      ...(str(i.Created) ? { created: str(i.Created) } : {}),
    };
  });
}

export function readSecretInspect(text: string): SecretDetails[] {
  return parseArray(text, "podman secret inspect").map((s) => {
    const spec = obj(s.Spec);
    return { id: str(s.ID), name: str(spec.Name), labels: strMap(spec.Labels) };
  });
}

/** `podman wait` prints the exit code (one line per container). */
export function readWaitExitCode(text: string): number {
  const line = text.trim().split("\n").pop() ?? "";
  if (!/^-?\d+$/.test(line)) throw new Error(`podman wait printed ${JSON.stringify(text.trim())}, not an exit code`);
  return Number(line);
}

/** One name per line, as `--format {{.Name}}` prints them. */
export function readNames(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** One entry of `podman images --format json`. */
export interface ImageSummary {
  readonly id: string;
  readonly names: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export function readImageList(text: string): ImageSummary[] {
  return parseArray(text, "podman images").map((i) => ({
    id: str(i.Id),
    names: Array.isArray(i.Names) ? i.Names.map(str) : [],
    labels: strMap(i.Labels),
  }));
}

/** A container's wiring, as adopting it needs it: mounts, networks, restart policy. */
export interface ContainerSetup {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly running: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** `always`, `no`, ... ("" when none was set, which podman treats as no). */
  readonly restartPolicy: string;
  /** `bridge`, `host`, `none`, `container:ID`, ... */
  readonly networkMode: string;
  readonly mounts: ReadonlyArray<{ readonly type: string; readonly source: string; readonly destination: string; readonly readWrite: boolean }>;
  /**
   * Networks with the addresses the container holds on them. A stopped container shows none in
   * NetworkSettings; the caller may read its static ones from `createCommand`.
   */
  readonly networks: ReadonlyArray<{ readonly name: string; readonly ipv4?: string; readonly ipv6?: string; readonly aliases: readonly string[] }>;
  /** The podman command line that created it (podman records it; empty when unknown). */
  readonly createCommand: readonly string[];
}

export function readContainerSetup(text: string): ContainerSetup[] {
  return parseArray(text, "podman container inspect").map((c) => {
    const state = obj(c.State);
    const config = obj(c.Config);
    const host = obj(c.HostConfig);
    const id = str(c.Id);
    const networks = Object.entries(obj(obj(c.NetworkSettings).Networks)).map(([name, raw]) => {
      const n = obj(raw);
      // podman adds the short id as an alias by itself; reconnecting adds it again.
      const aliases = (Array.isArray(n.Aliases) ? n.Aliases.map(str) : []).filter((a) => a && a !== id.slice(0, 12));
      return { name, ...(str(n.IPAddress) ? { ipv4: str(n.IPAddress) } : {}), ...(str(n.GlobalIPv6Address) ? { ipv6: str(n.GlobalIPv6Address) } : {}), aliases };
    });
    return {
      id,
      name: str(c.Name).replace(/^\//, ""),
      image: str(c.ImageName ?? config.Image),
      running: state.Running === true,
      labels: strMap(config.Labels),
      restartPolicy: str(obj(host.RestartPolicy).Name),
      networkMode: str(host.NetworkMode),
      mounts: (Array.isArray(c.Mounts) ? c.Mounts : []).map(obj).map((m) => ({ type: str(m.Type), source: str(m.Source), destination: str(m.Destination), readWrite: m.RW !== false })),
      networks,
      createCommand: Array.isArray(config.CreateCommand) ? config.CreateCommand.map(str) : [],
    };
  });
}

/** What recreating a network needs from `podman network inspect` (netavark's and CNI's JSON alike). */
export interface NetworkDetails {
  readonly name: string;
  readonly driver: string;
  /** The bridge interface (cni-podman1 on FreeBSD, podman1 with netavark). */
  readonly networkInterface?: string;
  readonly subnets: ReadonlyArray<{ readonly subnet: string; readonly gateway?: string }>;
  readonly ipv6: boolean;
  readonly internal: boolean;
  readonly dnsEnabled: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

export function readNetworkInspect(text: string): NetworkDetails[] {
  return parseArray(text, "podman network inspect").map((n) => ({
    name: str(n.name),
    driver: str(n.driver) || "bridge",
    ...(str(n.network_interface) ? { networkInterface: str(n.network_interface) } : {}),
    subnets: (Array.isArray(n.subnets) ? n.subnets : []).map(obj).map((s) => ({ subnet: str(s.subnet), ...(str(s.gateway) ? { gateway: str(s.gateway) } : {}) })),
    ipv6: n.ipv6_enabled === true,
    internal: n.internal === true,
    dnsEnabled: n.dns_enabled === true,
    labels: strMap(n.labels),
  }));
}

/** A host port podman publishes for a running container. */
export interface PublishedPort {
  /** "" when published on every address. */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
}

/**
 * Each container's published ports and network mode, from `podman container inspect`:
 * NetworkSettings.Ports maps "80/tcp" to its bindings (`{HostIp, HostPort}`; null for a port
 * only exposed), the shape podman 4 and 5 print alike.
 */
export function readPublishedPorts(text: string): Array<{ readonly name: string; readonly networkMode: string; readonly ports: readonly PublishedPort[] }> {
  return parseArray(text, "podman container inspect").map((c) => ({
    name: str(c.Name).replace(/^\//, ""),
    networkMode: str(obj(c.HostConfig).NetworkMode),
    ports: Object.entries(obj(obj(c.NetworkSettings).Ports)).flatMap(([key, bindings]) => {
      const [port, protocol = "tcp"] = key.split("/") as [string, string?];
      return (Array.isArray(bindings) ? bindings : []).map(obj).map((b) => ({ hostIp: str(b.HostIp), hostPort: num(b.HostPort), containerPort: num(port), protocol }));
    }),
  }));
}
