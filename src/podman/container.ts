import { type Command, command, inspect } from "../core/command.js";

/**
 * argv builders for podman's container verbs. Pure: a spec in, a Command out. Optional flags are
 * emitted only when set, maps are emitted in sorted key order so the same spec always renders the
 * same argv (the definition hash depends on it).
 */
export interface ContainerNetwork {
  readonly name: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly aliases?: readonly string[];
}

export interface ContainerMount {
  readonly type: "bind" | "volume" | "tmpfs";
  /** Host path (bind) or podman volume name (volume); absent for tmpfs. */
  readonly source?: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

/** A podman secret handed to the container: as an environment variable or a file under /run/secrets. */
export interface ContainerSecret {
  readonly name: string;
  readonly type: "env" | "mount";
  readonly target: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly networks?: readonly ContainerNetwork[];
  /** host | none | bridge | container:NAME (Compose network_mode); replaces `networks`. */
  readonly networkMode?: string;
  readonly volumes?: readonly ContainerMount[];
  readonly ports?: readonly string[];
  readonly extraHosts?: readonly string[];
  /** Plain environment: never secrets (those go in `secrets`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly secrets?: readonly ContainerSecret[];
  readonly restart?: string;
  /** setrlimit(2) limits by resource name; -1 is unlimited. */
  readonly ulimits?: Readonly<Record<string, { readonly soft: number; readonly hard: number }>>;
  readonly stopTimeoutSec?: number;
  readonly stopSignal?: string;
  readonly logDriver?: string;
  readonly logOptions?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly workdir?: string;
  readonly hostname?: string;
  readonly entrypoint?: readonly string[];
  readonly command?: readonly string[];
}

const sorted = (m: Readonly<Record<string, string>> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Flags shared by `create` and `run`, image and command last. */
export function containerArgs(s: ContainerSpec): string[] {
  const a: string[] = ["--name", s.name];
  for (const [k, v] of sorted(s.labels)) a.push("--label", `${k}=${v}`);
  for (const [k, v] of sorted(s.annotations)) a.push("--annotation", `${k}=${v}`);
  a.push(...networkArgs(s));
  for (const h of s.extraHosts ?? []) a.push("--add-host", normaliseHost(h));
  for (const v of s.volumes ?? []) a.push(...mountArgs(v));
  for (const p of s.ports ?? []) a.push("--publish", p);
  for (const [k, v] of sorted(s.env)) a.push("--env", `${k}=${v}`);
  for (const x of s.secrets ?? []) a.push("--secret", `${x.name},type=${x.type},target=${x.target}`);
  for (const [k, u] of Object.entries(s.ulimits ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) a.push("--ulimit", `${k}=${u.soft}:${u.hard}`);
  if (s.restart) a.push("--restart", s.restart);
  if (s.stopTimeoutSec !== undefined) a.push("--stop-timeout", String(s.stopTimeoutSec));
  if (s.stopSignal) a.push("--stop-signal", s.stopSignal);
  if (s.logDriver) a.push("--log-driver", s.logDriver);
  for (const [k, v] of sorted(s.logOptions)) a.push("--log-opt", `${k}=${v}`);
  if (s.user) a.push("--user", s.user);
  if (s.workdir) a.push("--workdir", s.workdir);
  if (s.hostname) a.push("--hostname", s.hostname);
  if (s.entrypoint) a.push("--entrypoint", s.entrypoint.length === 1 ? s.entrypoint[0]! : JSON.stringify(s.entrypoint));
  a.push(s.image, ...(s.command ?? []));
  return a;
}

function networkArgs(s: ContainerSpec): string[] {
  if (s.networkMode) return ["--network", s.networkMode];
  const nets = s.networks ?? [];
  if (nets.length === 1) {
    const n = nets[0]!;
    const a = ["--network", n.name];
    if (n.ipv4) a.push("--ip", n.ipv4);
    if (n.ipv6) a.push("--ip6", n.ipv6);
    for (const al of n.aliases ?? []) a.push("--network-alias", al);
    return a;
  }
  // Several networks: --ip/--ip6 cannot say which network they mean, so per-network options.
  return nets.flatMap((n) => {
    const opts = [...(n.ipv4 ? [`ip=${n.ipv4}`] : []), ...(n.ipv6 ? [`ip=${n.ipv6}`] : []), ...(n.aliases ?? []).map((x) => `alias=${x}`)];
    return ["--network", opts.length ? `${n.name}:${opts.join(",")}` : n.name];
  });
}

function mountArgs(v: ContainerMount): string[] {
  if (v.type === "tmpfs") return ["--tmpfs", v.target];
  return ["--volume", `${v.source}:${v.target}${v.readOnly ? ":ro" : ""}`];
}

/** Compose allows `host=ip` and `host:ip`; podman 4 takes only the latter. */
function normaliseHost(h: string): string {
  const eq = h.indexOf("=");
  return eq > 0 ? `${h.slice(0, eq)}:${h.slice(eq + 1)}` : h;
}

export const createContainer = (s: ContainerSpec): Command => command(["podman", "create", ...containerArgs(s)]);

export const runContainer = (s: ContainerSpec): Command => command(["podman", "run", "--detach", ...containerArgs(s)]);

export const startContainer = (name: string): Command => command(["podman", "start", name]);

export const stopContainer = (name: string, timeoutSec?: number): Command => stopContainers([name], timeoutSec);

/** One `podman stop` for several containers: podman stops them side by side, for one process's cost. */
export const stopContainers = (names: readonly string[], timeoutSec?: number): Command =>
  command(["podman", "stop", ...(timeoutSec !== undefined ? ["--time", String(timeoutSec)] : []), ...names]);

export const restartContainer = (name: string, timeoutSec?: number): Command =>
  command(["podman", "restart", ...(timeoutSec !== undefined ? ["--time", String(timeoutSec)] : []), name]);

export const removeContainer = (name: string, opts: { force?: boolean; timeoutSec?: number } = {}): Command =>
  command(["podman", "rm", ...(opts.force ? ["--force"] : []), ...(opts.timeoutSec !== undefined ? ["--time", String(opts.timeoutSec)] : []), name]);

/**
 * `podman kill --signal N`: the signal as a number. podman translates signal *names* with Linux's
 * numbers on every OS (containers/podman pkg/signal/signal_unix.go, built for freebsd: "USR2" is
 * 12, which is SIGSYS on FreeBSD, where SIGUSR2 is 31 per sys/sys/signal.h), while a number goes
 * to the runtime unchanged (ParseSignal in pkg/signal/signal_common.go; ocijail's kill passes it
 * to kill(2)). Callers pass the host's own number (os.constants.signals): the container shares
 * the host's kernel.
 */
export const signalContainer = (name: string, signal: number): Command => command(["podman", "kill", "--signal", String(signal), name]);

/**
 * `podman exec`: a healthcheck probe, an admin task. It only reads unless the caller says
 * otherwise, but it runs a program inside the container, so it is not marked read-only.
 */
export const execInContainer = (name: string, argv: readonly string[], opts: { env?: Readonly<Record<string, string>>; user?: string; input?: string } = {}): Command =>
  command(
    [
      "podman",
      "exec",
      // podman exec passes standard input to the process only with --interactive.
      ...(opts.input !== undefined ? ["--interactive"] : []),
      ...sorted(opts.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
      ...(opts.user ? ["--user", opts.user] : []),
      name,
      ...argv,
    ],
    opts.input !== undefined ? { input: opts.input } : {},
  );

/** Blocks until the container exits and prints its exit code. */
export const waitContainer = (name: string): Command => inspect(["podman", "wait", name]);

export const inspectContainer = (...names: string[]): Command => inspect(["podman", "container", "inspect", ...names]);

/** Every container carrying all these labels, running or not, as JSON. */
export const listContainers = (labels: Readonly<Record<string, string>> = {}): Command =>
  inspect(["podman", "ps", "--all", "--format", "json", ...sorted(labels).map(([k, v]) => `--filter=label=${k}=${v}`)]);

export const containerLogs = (name: string, opts: { tail?: number; follow?: boolean; timestamps?: boolean } = {}): Command =>
  inspect([
    "podman",
    "logs",
    ...(opts.tail !== undefined ? ["--tail", String(opts.tail)] : []),
    ...(opts.follow ? ["--follow"] : []),
    ...(opts.timestamps ? ["--timestamps"] : []),
    name,
  ]);

/**
 * `podman exec` for a person at a terminal (micropod exec, micropod tootctl): standard input
 * kept open, a TTY only when the caller has one.
 */
export const execInteractive = (name: string, argv: readonly string[], opts: { tty?: boolean; user?: string; workdir?: string } = {}): Command =>
  command([
    "podman",
    "exec",
    "--interactive",
    ...(opts.tty ? ["--tty"] : []),
    ...(opts.user ? ["--user", opts.user] : []),
    ...(opts.workdir ? ["--workdir", opts.workdir] : []),
    name,
    ...argv,
  ]);

/** A one-shot container (migrations): runs in the foreground, removed when it exits. */
export const runOnce = (s: ContainerSpec): Command => command(["podman", "run", "--rm", ...containerArgs(s)]);

/** Copy a file out of a container (`podman cp NAME:SRC DEST`): binary-safe, unlike exec's stdout. */
export const copyFromContainer = (name: string, src: string, dest: string): Command => command(["podman", "cp", `${name}:${src}`, dest]);

/** Copy a host file into a container (`podman cp SRC NAME:DEST`). */
export const copyToContainer = (src: string, name: string, dest: string): Command => command(["podman", "cp", src, `${name}:${dest}`]);

export const renameContainer = (from: string, to: string): Command => command(["podman", "rename", from, to]);

/**
 * Change an existing container's restart policy. `podman update --restart` came with podman 5.1
 * (containers/podman#22322); older podman cannot change it after creation.
 */
export const setRestartPolicy = (name: string, policy: string): Command => command(["podman", "update", "--restart", policy, name]);

/** Exits 0 when the container exists, 1 when it does not. */
export const containerExists = (name: string): Command => inspect(["podman", "container", "exists", name]);

/** Names of the running containers, one a line. */
export const runningContainerNames = (): Command => inspect(["podman", "ps", "--format", "{{.Names}}"]);
