import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseDuration } from "./duration.js";
import { shellWords } from "./shell-words.js";
import type {
  BuildSpec,
  Dependency,
  DependencyCondition,
  Healthcheck,
  Network,
  SecretSource,
  Service,
  ServiceNetwork,
  ServiceSecret,
  Ulimit,
  VolumeMount,
} from "./model.js";
import type { Vars } from "./interpolate.js";

/**
 * Turns one schema-valid, interpolated Compose service into the `Service` the engine reads,
 * applying Compose's defaults. Problems are reported through `report(path, message)` with paths
 * relative to the document root; nothing throws for bad input.
 */
export type Report = (path: string, message: string) => void;

type Raw = Record<string, unknown>;

export interface ServiceContext {
  readonly project: string;
  /** Directory of the compose file: relative paths resolve against it. */
  readonly dir: string;
  readonly vars: Vars;
  /** env_file contents, already read (by path as written). */
  readonly envFiles: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly report: Report;
}

/** Compose healthcheck defaults (Docker's): 30 s interval and timeout, 3 retries. */
const HEALTH_DEFAULTS = { interval: 30_000, timeout: 30_000, retries: 3, startPeriod: 0 };

export function normaliseService(name: string, raw: Raw, ctx: ServiceContext): Service {
  const at = `services/${name}`;
  const ext = extension(raw["x-micropod"]);
  const build = raw.build === undefined ? undefined : buildSpec(raw.build, ctx, `${at}/build`);
  const image = typeof raw.image === "string" ? raw.image : `${ctx.project}-${name}`;
  if (raw.image === undefined && raw.build === undefined) ctx.report(at, "needs `image:` or `build:`");
  const buildOnly = ext["build-only"] === true;
  if (buildOnly && !build) ctx.report(`${at}/x-micropod/build-only`, "a build-only service needs `build:`");
  const service: Service = {
    name,
    image,
    ...(build ? { build } : {}),
    buildOnly,
    containerName: typeof raw.container_name === "string" ? raw.container_name : `${ctx.project}-${name}`,
    ...optional("command", argvOf(raw.command, ctx, `${at}/command`)),
    ...optional("entrypoint", argvOf(raw.entrypoint, ctx, `${at}/entrypoint`)),
    environment: environmentOf(raw, ctx),
    secrets: secretsOf(raw.secrets, ext, ctx, `${at}/secrets`),
    dependsOn: dependsOnOf(raw.depends_on),
    ...optional("healthcheck", healthcheckOf(raw.healthcheck, ctx, `${at}/healthcheck`)),
    ...optional("stopGracePeriodMs", durationOf(raw.stop_grace_period, ctx, `${at}/stop_grace_period`)),
    ...optional("stopSignal", str(raw.stop_signal)),
    ...optional("restart", str(raw.restart)),
    annotations: dictOf(raw.annotations, ctx.vars),
    labels: dictOf(raw.labels, ctx.vars),
    networks: networksOf(raw.networks),
    ...optional("networkMode", str(raw.network_mode)),
    volumes: volumesOf(raw.volumes, ctx, `${at}/volumes`),
    ports: portsOf(raw.ports),
    extraHosts: extraHostsOf(raw.extra_hosts),
    ...optional("logging", loggingOf(raw.logging)),
    ...optional("user", str(raw.user)),
    ...optional("workingDir", str(raw.working_dir)),
    ...optional("hostname", str(raw.hostname)),
    ...optional("ulimits", ulimitsOf(raw.ulimits, ctx, `${at}/ulimits`)),
    extensions: ext,
  };
  return service;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function extension(v: unknown): Readonly<Record<string, unknown>> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Compose's list_or_dict: `{K: V}` or `["K=V", "K"]`; a bare/null K takes its value from `vars`. */
export function dictOf(v: unknown, vars: Vars): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v as string[]) {
      const eq = item.indexOf("=");
      if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
      else if (vars[item] !== undefined) out[item] = vars[item]!;
    }
  } else if (v && typeof v === "object") {
    for (const [k, val] of Object.entries(v as Raw)) {
      if (val === null || val === undefined) {
        if (vars[k] !== undefined) out[k] = vars[k]!;
      } else out[k] = String(val);
    }
  }
  return out;
}

function buildSpec(v: unknown, ctx: ServiceContext, at: string): BuildSpec {
  const b: Raw = typeof v === "string" ? { context: v } : (v as Raw);
  const context = resolve(ctx.dir, typeof b.context === "string" ? b.context : ".");
  let dockerfile: string;
  if (typeof b.dockerfile === "string") dockerfile = resolve(context, b.dockerfile);
  else {
    // podman build's own default: Containerfile, then Dockerfile.
    const containerfile = resolve(context, "Containerfile");
    dockerfile = existsSync(containerfile) ? containerfile : resolve(context, "Dockerfile");
  }
  if (b.dockerfile_inline !== undefined) ctx.report(`${at}/dockerfile_inline`, "is not supported by micropod: write a Containerfile");
  return {
    context,
    dockerfile,
    args: dictOf(b.args, ctx.vars),
    ...optional("target", str(b.target)),
  };
}

function argvOf(v: unknown, ctx: ServiceContext, at: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(String);
  try {
    return shellWords(String(v));
  } catch (e) {
    ctx.report(at, (e as Error).message);
    return undefined;
  }
}

/** env_file values first, `environment` over them (Compose's precedence). */
function environmentOf(raw: Raw, ctx: ServiceContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of envFileEntries(raw.env_file)) {
    Object.assign(out, ctx.envFiles.get(entry.path) ?? {});
  }
  Object.assign(out, dictOf(raw.environment, ctx.vars));
  return out;
}

export interface EnvFileEntry {
  readonly path: string;
  readonly required: boolean;
}

export function envFileEntries(v: unknown): EnvFileEntry[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((e) =>
    typeof e === "string" ? { path: e, required: true } : { path: String((e as Raw).path), required: (e as Raw).required !== false },
  );
}

/**
 * Compose mounts secrets as files. A secret becomes an environment variable (podman
 * `--secret ...,type=env,target=NAME`) when its entry says `x-micropod: {type: env}`, or when the
 * service says `x-micropod: {secret-type: env}` for all its secrets.
 */
function secretsOf(v: unknown, ext: Readonly<Record<string, unknown>>, ctx: ServiceContext, at: string): ServiceSecret[] {
  if (!Array.isArray(v)) return [];
  const serviceType = ext["secret-type"];
  if (serviceType !== undefined && serviceType !== "env" && serviceType !== "mount") {
    ctx.report(at.replace(/secrets$/, "x-micropod/secret-type"), 'must be "env" or "mount"');
  }
  return v.map((entry, i) => {
    const e: Raw = typeof entry === "string" ? { source: entry } : (entry as Raw);
    const own = extension(e["x-micropod"]).type;
    const type = own ?? serviceType ?? "mount";
    if (type !== "env" && type !== "mount") ctx.report(`${at}/${i}/x-micropod/type`, 'must be "env" or "mount"');
    const source = String(e.source);
    const target = typeof e.target === "string" ? e.target : source;
    if (type === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) {
      ctx.report(`${at}/${i}/target`, `an env secret's target must be a variable name, got ${JSON.stringify(target)}`);
    }
    return { source, target, type: type === "env" ? "env" : "mount" };
  });
}

function dependsOnOf(v: unknown): Dependency[] {
  if (Array.isArray(v)) return v.map((s) => ({ service: String(s), condition: "service_started", required: true }));
  if (!v || typeof v !== "object") return [];
  return Object.entries(v as Raw).map(([service, d]) => {
    const dep = d as Raw;
    return { service, condition: dep.condition as DependencyCondition, required: dep.required !== false };
  });
}

function durationOf(v: unknown, ctx: ServiceContext, at: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === "number" ? v * 1000 : parseDuration(String(v));
  if (ms === undefined) ctx.report(at, `${JSON.stringify(v)} is not a duration (e.g. "10s", "1m30s")`);
  return ms;
}

/** Normalised test: a string is CMD-SHELL; `NONE` or `disable: true` means no healthcheck. */
function healthcheckOf(v: unknown, ctx: ServiceContext, at: string): Healthcheck | undefined {
  if (!v || typeof v !== "object") return undefined;
  const h = v as Raw;
  if (h.disable === true || h.disable === "true") return undefined;
  let test: string[];
  if (typeof h.test === "string") test = ["CMD-SHELL", h.test];
  else if (Array.isArray(h.test)) test = h.test.map(String);
  else {
    ctx.report(`${at}/test`, "a healthcheck needs a test");
    return undefined;
  }
  if (test[0] === "NONE") return undefined;
  if (test[0] !== "CMD" && test[0] !== "CMD-SHELL") {
    ctx.report(`${at}/test/0`, `must be CMD, CMD-SHELL or NONE, got ${JSON.stringify(test[0])}`);
  } else if (test.length < 2) ctx.report(`${at}/test`, `${test[0]} needs a command`);
  const intervalMs = durationOf(h.interval, ctx, `${at}/interval`) ?? HEALTH_DEFAULTS.interval;
  let retries = HEALTH_DEFAULTS.retries;
  if (h.retries !== undefined) {
    retries = Number(h.retries);
    if (!Number.isInteger(retries) || retries < 0) ctx.report(`${at}/retries`, `must be a whole number, got ${JSON.stringify(h.retries)}`);
  }
  return {
    test,
    intervalMs,
    timeoutMs: durationOf(h.timeout, ctx, `${at}/timeout`) ?? HEALTH_DEFAULTS.timeout,
    retries,
    startPeriodMs: durationOf(h.start_period, ctx, `${at}/start_period`) ?? HEALTH_DEFAULTS.startPeriod,
    // The schema: start_interval defaults to the interval.
    startIntervalMs: durationOf(h.start_interval, ctx, `${at}/start_interval`) ?? intervalMs,
  };
}

/** The resource names podman's --ulimit accepts (setrlimit(2) without the RLIMIT_ prefix). */
const ULIMIT_NAMES = new Set(["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"]);

/**
 * Compose `ulimits:`: `NAME: N` sets soft and hard alike, `NAME: {soft, hard}` each; -1 (or
 * "unlimited") is no limit. A soft limit above the hard one is refused, as setrlimit(2) would.
 */
function ulimitsOf(v: unknown, ctx: ServiceContext, at: string): Record<string, Ulimit> | undefined {
  if (!v || typeof v !== "object") return undefined;
  const out: Record<string, Ulimit> = {};
  for (const [name, spec] of Object.entries(v as Raw)) {
    if (!ULIMIT_NAMES.has(name)) {
      ctx.report(`${at}/${name}`, `is not a resource limit podman knows (${[...ULIMIT_NAMES].join(", ")})`);
      continue;
    }
    let soft: number | undefined;
    let hard: number | undefined;
    if (spec !== null && typeof spec === "object") {
      soft = limitOf((spec as Raw).soft, ctx, `${at}/${name}/soft`);
      hard = limitOf((spec as Raw).hard, ctx, `${at}/${name}/hard`);
    } else soft = hard = limitOf(spec, ctx, `${at}/${name}`);
    if (soft === undefined || hard === undefined) continue;
    if (hard !== -1 && (soft === -1 || soft > hard)) {
      ctx.report(`${at}/${name}`, `the soft limit (${soft === -1 ? "unlimited" : soft}) is above the hard limit (${hard})`);
      continue;
    }
    out[name] = { soft, hard };
  }
  return Object.keys(out).length ? out : undefined;
}

function limitOf(v: unknown, ctx: ServiceContext, at: string): number | undefined {
  const text = String(v).trim();
  if (text === "unlimited" || text === "infinity") return -1;
  const n = typeof v === "number" ? v : /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < -1) {
    ctx.report(at, `must be a whole number of at least 0, or -1 / "unlimited", got ${JSON.stringify(v)}`);
    return undefined;
  }
  return n;
}

function networksOf(v: unknown): ServiceNetwork[] {
  if (Array.isArray(v)) return v.map((n) => ({ name: String(n), aliases: [] }));
  if (!v || typeof v !== "object") return [];
  return Object.entries(v as Raw).map(([name, cfg]) => {
    const c = (cfg ?? {}) as Raw;
    return {
      name,
      ...optional("ipv4Address", str(c.ipv4_address)),
      ...optional("ipv6Address", str(c.ipv6_address)),
      aliases: Array.isArray(c.aliases) ? c.aliases.map(String) : [],
    };
  });
}

/** Compose short syntax `SRC:TARGET[:MODE]`: a SRC starting with `/`, `.` or `~` is a bind mount. */
function volumesOf(v: unknown, ctx: ServiceContext, at: string): VolumeMount[] {
  if (!Array.isArray(v)) return [];
  const out: VolumeMount[] = [];
  v.forEach((entry, i) => {
    if (typeof entry === "string") {
      const parts = entry.split(":");
      if (parts.length === 1) {
        out.push({ type: "volume", target: parts[0]!, readOnly: false });
        return;
      }
      if (parts.length > 3 || !parts[1]) {
        ctx.report(`${at}/${i}`, `expected SOURCE:TARGET[:MODE], got ${JSON.stringify(entry)}`);
        return;
      }
      const [src, target, mode = ""] = parts as [string, string, string?];
      const bind = /^[/.~]/.test(src);
      out.push({
        type: bind ? "bind" : "volume",
        source: bind ? resolveBindSource(src, ctx) : src,
        target,
        readOnly: mode.split(",").includes("ro"),
      });
      return;
    }
    const e = entry as Raw;
    const type = String(e.type);
    if (type !== "bind" && type !== "volume" && type !== "tmpfs") {
      ctx.report(`${at}/${i}/type`, `micropod supports bind, volume and tmpfs mounts, not ${JSON.stringify(type)}`);
      return;
    }
    const source = str(e.source);
    out.push({
      type,
      ...optional("source", source === undefined ? undefined : type === "bind" ? resolveBindSource(source, ctx) : source),
      target: String(e.target),
      readOnly: e.read_only === true,
    });
  });
  return out;
}

function resolveBindSource(p: string, ctx: ServiceContext): string {
  if (p.startsWith("~")) return resolve(ctx.vars.HOME ?? process.env.HOME ?? "/", `.${p.slice(1)}`);
  return isAbsolute(p) ? p : resolve(ctx.dir, p);
}

/** Ports as Compose short strings; the long form becomes `[ip:]published:target/protocol`. */
function portsOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((p) => {
    if (typeof p !== "object" || p === null) return String(p);
    const e = p as Raw;
    const ip = str(e.host_ip);
    const host = ip === undefined ? "" : ip.includes(":") && !ip.startsWith("[") ? `[${ip}]:` : `${ip}:`;
    const published = str(e.published);
    const proto = str(e.protocol) ?? "tcp";
    return `${host}${published !== undefined ? `${published}:` : ""}${String(e.target)}/${proto}`;
  });
}

function extraHostsOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((h) => String(h).replace(/^([^=:]+)=/, "$1:"));
  if (!v || typeof v !== "object") return [];
  return Object.entries(v as Raw).flatMap(([host, ip]) => (Array.isArray(ip) ? ip : [ip]).map((a) => `${host}:${String(a)}`));
}

function loggingOf(v: unknown): Service["logging"] {
  if (!v || typeof v !== "object") return undefined;
  const l = v as Raw;
  const options: Record<string, string> = {};
  for (const [k, val] of Object.entries(extension(l.options))) if (val !== null && val !== undefined) options[k] = String(val);
  return { ...optional("driver", str(l.driver)), options };
}

export function networkOf(key: string, v: unknown, project: string): Network {
  const n = (v ?? {}) as Raw;
  const external = n.external === true || (typeof n.external === "object" && n.external !== null);
  const named = str(n.name);
  const ipam = extension(n.ipam);
  const config = Array.isArray(ipam.config) ? (ipam.config as Raw[]) : [];
  return {
    name: key,
    podmanName: named ?? (external ? key : `${project}_${key}`),
    ...optional("driver", str(n.driver)),
    ...optional("driverOptions", n.driver_opts ? dictOf(n.driver_opts, {}) : undefined),
    external,
    ipv6: n.enable_ipv6 === true || config.some((c) => String(c.subnet ?? "").includes(":")),
    subnets: config
      .filter((c) => c.subnet !== undefined)
      .map((c) => ({ subnet: String(c.subnet), ...optional("gateway", str(c.gateway)) })),
  };
}

export function secretSourceOf(key: string, v: unknown, dir: string): SecretSource {
  const s = (v ?? {}) as Raw;
  return {
    name: key,
    ...optional("environment", str(s.environment)),
    ...optional("file", s.file === undefined ? undefined : resolve(dir, String(s.file))),
  };
}
