/**
 * The loaded suite: a Compose file after YAML parsing, interpolation, schema validation and the
 * cross-field checks, normalised into the shapes the engine and the planner consume.
 * Contract between suite/ (which produces it) and engine/, commands/plan, health/ (which read it).
 */
export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface Dependency {
  readonly service: string;
  readonly condition: DependencyCondition;
  /** Compose `required` (default true): an optional dependency missing from the selection is skipped. */
  readonly required: boolean;
}

export interface Healthcheck {
  /** Normalised: ["CMD", prog, ...args] or ["CMD-SHELL", "shell string"]. */
  readonly test: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly startPeriodMs: number;
  /** Compose's start_interval: probe spacing during start_period. */
  readonly startIntervalMs: number;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  readonly context: string;
  /** Absolute path of the Containerfile/Dockerfile. */
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
}

export interface ServiceNetwork {
  readonly name: string;
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly aliases: readonly string[];
}

export interface VolumeMount {
  readonly type: "bind" | "volume" | "tmpfs";
  /** Absolute host path for bind mounts (relative paths resolved against the compose file). */
  readonly source?: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** A secret handed to the container as a podman secret, never as argv or plain environment. */
export interface ServiceSecret {
  /** Key of the top-level `secrets:` entry (the podman secret is named `<project>_<source>`). */
  readonly source: string;
  /** Environment variable name (type env) or path under /run/secrets (type mount). */
  readonly target: string;
  readonly type: "env" | "mount";
}

/** A resource limit: -1 is unlimited (podman's `--ulimit NAME=-1:-1`). */
export interface Ulimit {
  readonly soft: number;
  readonly hard: number;
}

export interface Service {
  readonly name: string;
  /** Image reference the container runs (given by `image:`, or derived for a `build:` without one). */
  readonly image: string;
  readonly build?: BuildSpec;
  /** Built but never run (the mastodon template image): `x-micropod: {build-only: true}`. */
  readonly buildOnly: boolean;
  readonly containerName: string;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  /** env_file contents merged under `environment`, as Compose does. Never holds secrets. */
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: readonly ServiceSecret[];
  readonly dependsOn: readonly Dependency[];
  readonly healthcheck?: Healthcheck;
  readonly stopGracePeriodMs?: number;
  readonly stopSignal?: string;
  /** Compose restart policy: "no" | "always" | "on-failure[:n]" | "unless-stopped". */
  readonly restart?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly networks: readonly ServiceNetwork[];
  readonly networkMode?: string;
  readonly volumes: readonly VolumeMount[];
  /** Compose short-form port strings, e.g. "127.0.0.1:8080:80/tcp". */
  readonly ports: readonly string[];
  readonly extraHosts: readonly string[];
  readonly logging?: { readonly driver?: string; readonly options: Readonly<Record<string, string>> };
  readonly user?: string;
  readonly workingDir?: string;
  readonly hostname?: string;
  /** Compose `ulimits:` by resource name (memlock, nofile, ...); absent when the service sets none. */
  readonly ulimits?: Readonly<Record<string, Ulimit>>;
  /** `x-micropod` extension fields of the service, as written. */
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface Network {
  readonly name: string;
  /** Name podman knows it by (`name:` in Compose, else `<project>_<key>`). */
  readonly podmanName: string;
  readonly driver?: string;
  /** Compose `driver_opts`: podman network create `--opt KEY=VALUE` (isolate, mtu, ...). */
  readonly driverOptions?: Readonly<Record<string, string>>;
  readonly external: boolean;
  readonly ipv6: boolean;
  readonly subnets: ReadonlyArray<{ readonly subnet: string; readonly gateway?: string }>;
}

export interface SecretSource {
  readonly name: string;
  /** The configuration variable whose value becomes the podman secret. */
  readonly environment?: string;
  readonly file?: string;
}

export interface Suite {
  /** Compose project name (`name:` or the compose file's directory name). */
  readonly project: string;
  /** Absolute path of the compose file. */
  readonly file: string;
  readonly services: ReadonlyMap<string, Service>;
  readonly networks: ReadonlyMap<string, Network>;
  readonly volumes: ReadonlyMap<string, { readonly name: string; readonly external: boolean }>;
  readonly secrets: ReadonlyMap<string, SecretSource>;
  /** Things Compose would warn about (an unset variable substituted as ""), for the caller to log. */
  readonly warnings?: readonly string[];
  /** The hosts of `x-micropod: hosts:` (suite/placement.ts); absent: every service runs on the local podman. */
  readonly hosts?: ReadonlyMap<string, SuiteHost>;
  /** Cross-host addresses placement derived (already written into the clients' environment and the servers' ports). */
  readonly links?: readonly CrossHostLink[];
  /** What each service is to the verbs (`x-micropod: roles:`, else the bundled names): read it through suite/roles.ts. */
  readonly roles?: SuiteRoles;
}

/** A host of the suite: where its podman service listens, and its private address. */
export interface SuiteHost {
  readonly name: string;
  /** podman's --url: unix:///path/podman.sock or ssh://user@host/path; absent for the local podman. */
  readonly url?: string;
  /** The private address other hosts reach its published ports on. */
  readonly address?: string;
}

/** A service reaching another on a different host (suite/placement.ts). */
export interface CrossHostLink {
  readonly client: string;
  readonly clientHost: string;
  readonly server: string;
  readonly serverHost: string;
  readonly variable: string;
  readonly port: number;
  /** What the variable says after placement: the serving host's private address (a URL keeps its shape). */
  readonly value: string;
}

/** Which service holds each role (suite/roles.ts declares, checks and reads them). */
export interface SuiteRoles {
  readonly template?: string;
  readonly database?: string;
  readonly search?: string;
  readonly web?: string;
  readonly streaming?: string;
  readonly scheduler?: string;
  /** Declared writers; absent: the web service and every service that runs Sidekiq. */
  readonly writers?: readonly string[];
}
