import { join } from "node:path";
import { type Command } from "../core/command.js";
import { SuiteError, type Problem } from "../core/errors.js";
import { releaseBefore } from "../core/version.js";
import { type ContainerSpec, createContainer, execInContainer, removeContainer, startContainer, waitContainer } from "../podman/container.js";
import { buildImage, pullImage } from "../podman/image.js";
import { createNetwork } from "../podman/network.js";
import { createSecret, removeSecret } from "../podman/secret.js";
import { dependencyGraph } from "../suite/graph.js";
import type { Dependency, DependencyCondition, Healthcheck, Service, Suite } from "../suite/model.js";
import { normaliseImageRef } from "./build-context.js";
import { CONFIG_HASH_LABEL, INPUT_HASH_LABEL, SECRET_HASH_LABEL, hashOf, secretFingerprint } from "./hash.js";
import type { ObservedState } from "./observe.js";
import { JAIL_PROFILE_ANNOTATION } from "./jail-profile.js";
import { containerSpec, podmanSecretName } from "./spec.js";
import { type MissingSecret, missingSecretWarnings } from "./secret-warnings.js";

/** The configuration the planner reads: every variable, and which of them are secret. */
export interface PlanVars {
  readonly vars: Readonly<Record<string, string>>;
  readonly secretNames?: ReadonlySet<string>;
}

export interface PlanOptions {
  /** Services asked for (their dependencies come along); all when empty. */
  readonly services?: readonly string[];
  /** Where build logs go: <logDir>/build-<service>.log. */
  readonly logDir?: string;
  /**
   * Wait for every selected service with a healthcheck to be healthy, not only for what a
   * dependent waits on (Compose `up --wait`): operations run commands in it right after.
   */
  readonly wait?: boolean;
  /**
   * Start existing containers as they are, never recreate them (Compose `up --no-recreate`):
   * an operation restarting what it stopped brings back what ran, not a changed definition.
   */
  readonly noRecreate?: boolean;
  /**
   * Only the services asked for, not what they depend on (Compose `up --no-deps`): their
   * dependencies are up already, and an upgrade must not touch them (recreating the bundled
   * suite's maintaindb would run every migration while the old release still serves).
   */
  readonly noDeps?: boolean;
}

export interface NetworkStep {
  readonly name: string;
  readonly command: Command;
}

export interface SecretStep {
  readonly name: string;
  readonly action: "create" | "update";
  readonly commands: readonly Command[];
}

export interface BuildStep {
  readonly service: string;
  readonly image: string;
  readonly inputHash: string;
  readonly action: "build" | "up-to-date";
  readonly command: Command;
  readonly logFile: string;
  /** Build services whose images this one builds FROM: they finish first. */
  readonly after: readonly string[];
}

export interface PullStep {
  readonly image: string;
  readonly command: Command;
}

export type ContainerAction = "create" | "recreate" | "start" | "leave";

/** What readiness means for a service, and the commands that establish it. */
export interface Readiness {
  /** Conditions some selected dependent waits on. `service_started` always holds after start. */
  readonly conditions: readonly DependencyCondition[];
  readonly healthcheck?: Healthcheck;
  readonly probe?: Command;
  readonly wait?: Command;
  /** Upper bound for a one-shot to finish (x-micropod `completion-timeout`, seconds; default 30 min). */
  readonly completionTimeoutMs: number;
}

export interface ContainerStep {
  readonly service: string;
  readonly container: string;
  readonly image: string;
  readonly action: ContainerAction;
  /** Why this action, in a few words ("definition changed", "not running", ...). */
  readonly reason: string;
  readonly configHash: string;
  /** Every command of this step, in order: `prepare` then `launch`. */
  readonly commands: readonly Command[];
  /**
   * Remove and create: run as soon as the image exists, before the dependencies are ready, so only
   * `podman start` sits on the critical path. Empty when the container must wait (network_mode
   * service:x needs x's container first).
   */
  readonly prepare: readonly Command[];
  /** Start: run the moment every dependency condition holds. */
  readonly launch: readonly Command[];
  readonly dependsOn: readonly Dependency[];
  /** The build step producing this container's image, if one is planned. */
  readonly build?: string;
  readonly readiness: Readiness;
  readonly stopTimeoutSec?: number;
  /** The `com.micropod.jail.profile` the container asks for: checked in its jail once it started. */
  readonly jailProfile?: string;
}

export interface StartPlan {
  readonly project: string;
  /** Every selected service (runnable and build-only), dependencies first. */
  readonly order: readonly string[];
  readonly networks: readonly NetworkStep[];
  readonly secrets: readonly SecretStep[];
  readonly pulls: readonly PullStep[];
  readonly builds: readonly BuildStep[];
  /** Builds that may run side by side: each group needs only images of earlier groups. */
  readonly buildGroups: readonly (readonly string[])[];
  readonly containers: readonly ContainerStep[];
  readonly warnings: readonly string[];
}

const DEFAULT_COMPLETION_TIMEOUT_MS = 30 * 60_000;
/**
 * podman stopped showing type=env secrets in `podman inspect` with containers/podman commit
 * a5e9b4d126 (issue #23788; RELEASE_NOTES.md, 5.3.0), first tagged v5.3.0-rc1. A `5.3.0-dev` or
 * `5.3.0-rc1` counts as 5.3 (the pre-release suffix is dropped), so only 5.2 and older warn.
 */
const ENV_SECRETS_HIDDEN_SINCE = "5.3.0";

/**
 * observe → PLAN → execute. Pure: the suite, the configuration and what exists in, the steps out.
 * An empty observed state plans a fresh host. Throws SuiteError for a suite that cannot start.
 */
export function planStart(suite: Suite, config: PlanVars, observed: ObservedState, opts: PlanOptions = {}): StartPlan {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const graph = dependencyGraph(suite);
  const selected = selectServices(suite, opts.services ?? [], opts.noDeps ?? false);
  const order = graph.order(selected);
  const runnable = order.map((n) => suite.services.get(n)!).filter((s) => !s.buildOnly);

  // --- builds: every building service whose image is needed, plus the bases those build FROM.
  const builderOf = new Map<string, Service>();
  for (const s of suite.services.values()) if (s.build) builderOf.set(normaliseImageRef(s.image), s);
  const neededBuilds = new Set<string>();
  const need = (s: Service) => {
    if (!s.build || neededBuilds.has(s.name)) return;
    neededBuilds.add(s.name);
    for (const base of observed.buildContexts[s.name]?.bases ?? []) {
      const b = builderOf.get(base);
      if (b) need(b);
    }
  };
  for (const n of order) {
    const s = suite.services.get(n)!;
    if (s.build) need(s);
    const b = builderOf.get(normaliseImageRef(s.image));
    if (b) need(b);
  }
  const inputHashes = new Map<string, string>();
  const inputHash = (s: Service): string => {
    const known = inputHashes.get(s.name);
    if (known) return known;
    const ctx = observed.buildContexts[s.name];
    let h = "unknown";
    if (ctx) {
      const bases = Object.fromEntries(
        ctx.bases.map((ref) => {
          const b = builderOf.get(ref);
          return [ref, b && b.name !== s.name ? `built:${inputHash(b)}` : (observed.images[ref]?.id ?? `absent:${ref}`)];
        }),
      );
      h = hashOf({ context: ctx.digest, args: s.build!.args, target: s.build!.target, bases }).slice(0, 32);
    }
    inputHashes.set(s.name, h);
    return h;
  };
  const builds: BuildStep[] = [...suite.services.keys()].filter((n) => neededBuilds.has(n)).map((name) => {
    const s = suite.services.get(name)!;
    const image = normaliseImageRef(s.image);
    const h = inputHash(s);
    const upToDate = h !== "unknown" && observed.images[image]?.labels[INPUT_HASH_LABEL] === h;
    const after = (observed.buildContexts[name]?.bases ?? []).map((b) => builderOf.get(b)?.name).filter((b): b is string => !!b && b !== name && neededBuilds.has(b));
    return {
      service: name,
      image,
      inputHash: h,
      action: upToDate ? "up-to-date" : "build",
      command: buildImage({
        context: s.build!.context,
        file: s.build!.dockerfile,
        tags: [image],
        buildArgs: s.build!.args,
        labels: { [INPUT_HASH_LABEL]: h, "com.docker.compose.project": suite.project, "com.docker.compose.service": name },
        ...(s.build!.target ? { target: s.build!.target } : {}),
      }),
      logFile: join(opts.logDir ?? "/var/log/containers", `build-${name}.log`),
      after: [...new Set(after)].sort(),
    };
  });
  const buildByImage = new Map(builds.map((b) => [b.image, b]));

  // --- pulls: images no service builds and local storage lacks.
  const pulls: PullStep[] = [];
  for (const s of runnable) {
    const ref = normaliseImageRef(s.image);
    if (!builderOf.has(ref) && !observed.images[ref] && !pulls.some((p) => p.image === ref)) pulls.push({ image: ref, command: pullImage(ref) });
  }

  // --- networks used by the selected services.
  const networks: NetworkStep[] = [];
  for (const s of runnable) {
    if (s.networkMode) continue;
    for (const sn of s.networks) {
      const n = suite.networks.get(sn.name);
      const podmanName = n?.podmanName ?? sn.name;
      if (observed.networks.includes(podmanName) || networks.some((x) => x.name === podmanName)) continue;
      if (n?.external) {
        warnings.push(`network ${podmanName} is external and does not exist: create it before start`);
        continue;
      }
      networks.push({
        name: podmanName,
        command: createNetwork({
          name: podmanName,
          ...(n?.driver ? { driver: n.driver } : {}),
          ...(n?.driverOptions ? { options: n.driverOptions } : {}),
          ipv6: n?.ipv6 ?? false,
          subnets: n?.subnets ?? [],
          labels: { "com.docker.compose.project": suite.project, "io.podman.compose.project": suite.project },
        }),
      });
    }
  }

  // --- secrets: value from the configuration (or a secret file), fingerprint label decides replacement.
  const secretValues = new Map<string, string>();
  const secrets: SecretStep[] = [];
  const missingSecrets: MissingSecret[] = [];
  const secretValue = (key: string): string | undefined => {
    const src = suite.secrets.get(key);
    if (!src) return undefined;
    return src.environment ? config.vars[src.environment] : observed.secretFiles[key];
  };
  for (const s of runnable) {
    for (const ss of s.secrets) {
      const name = podmanSecretName(suite, ss.source);
      if (secretValues.has(name) || secrets.some((x) => x.name === name)) continue;
      if (!suite.secrets.has(ss.source)) {
        problems.push({ path: `services/${s.name}/secrets`, message: `secret ${ss.source} is not declared under the top-level secrets:` });
        continue;
      }
      const value = secretValue(ss.source);
      if (!value) {
        missingSecrets.push({ service: s.name, source: ss.source, target: ss.target });
        continue;
      }
      secretValues.set(name, value);
      const fp = secretFingerprint(name, value);
      const existing = observed.secrets[name];
      if (existing && existing.labels[SECRET_HASH_LABEL] === fp) continue;
      const create = createSecret(name, value, { [SECRET_HASH_LABEL]: fp, "com.docker.compose.project": suite.project });
      secrets.push(existing ? { name, action: "update", commands: [removeSecret(name), create] } : { name, action: "create", commands: [create] });
    }
  }
  warnings.push(...missingSecretWarnings(suite, missingSecrets));

  // --- plain environment must never carry a secret value: that would put it in argv.
  const secretVals = [...(config.secretNames ?? [])].map((n) => [n, config.vars[n]] as const).filter(([, v]) => v && v.length >= 6);
  for (const s of runnable) {
    for (const [k, v] of Object.entries(s.environment)) {
      const hit = secretVals.find(([, sv]) => v.includes(sv!));
      if (hit) problems.push({ path: `services/${s.name}/environment/${k}`, message: `carries the secret ${hit[0]}: pass it with secrets: (a podman secret) instead` });
    }
  }

  // --- what each service's dependents wait for.
  const demanded = new Map<string, Set<DependencyCondition>>();
  for (const s of runnable) {
    for (const d of s.dependsOn) {
      if (!suite.services.has(d.service)) continue;
      if (!demanded.has(d.service)) demanded.set(d.service, new Set());
      demanded.get(d.service)!.add(d.condition);
      if (d.condition === "service_healthy" && !suite.services.get(d.service)!.healthcheck) {
        problems.push({ path: `services/${s.name}/depends_on/${d.service}`, message: `waits for service_healthy but ${d.service} has no healthcheck` });
      }
    }
  }

  // --- containers.
  const containers: ContainerStep[] = runnable.map((s) => {
    const base = containerSpec(suite, s);
    const usable = (base.secrets ?? []).filter((x) => secretValues.has(x.name));
    const ref = normaliseImageRef(s.image);
    const build = buildByImage.get(ref);
    const imageIdentity = build ? `built:${build.inputHash}` : (observed.images[ref]?.id ?? `absent:${ref}`);
    const specNoHash: ContainerSpec = { ...base, secrets: usable };
    const configHash = hashOf({
      argv: createContainer(specNoHash).argv,
      image: imageIdentity,
      secrets: usable.map((x) => secretFingerprint(x.name, secretValues.get(x.name)!)),
    }).slice(0, 32);
    const spec: ContainerSpec = { ...specNoHash, labels: { ...specNoHash.labels, [CONFIG_HASH_LABEL]: configHash } };
    const current = observed.containers[s.containerName];
    const demands = new Set(demanded.get(s.name));
    if (opts.wait && s.healthcheck) demands.add("service_healthy");
    const conditions = [...demands].sort();
    const grace = spec.stopTimeoutSec;
    const create = [createContainer(spec), startContainer(s.containerName)];
    const createEarly = !spec.networkMode?.startsWith("container:");
    let action: ContainerAction;
    let reason: string;
    let commands: Command[];
    const diverged = !!current && current.labels[CONFIG_HASH_LABEL] !== configHash;
    const kept = diverged ? "definition changed, not recreated" : "unchanged";
    if (!current) [action, reason, commands] = ["create", "no container", create];
    else if (diverged && !opts.noRecreate) {
      [action, reason, commands] = ["recreate", current.labels[CONFIG_HASH_LABEL] ? "definition changed" : "not created by micropod", [removeContainer(s.containerName, { force: true, ...(grace !== undefined ? { timeoutSec: grace } : {}) }), ...create]];
    } else if (current.state === "running") [action, reason, commands] = ["leave", `running, ${kept}`, []];
    else if (current.state === "exited" && current.exitCode === 0 && conditions.includes("service_completed_successfully")) {
      // A one-shot that already completed with this very definition has nothing left to do.
      [action, reason, commands] = ["leave", `completed, ${kept}`, []];
    } else [action, reason, commands] = ["start", `${current.state}, ${kept}`, [startContainer(s.containerName)]];
    const timeout = Number(s.extensions["completion-timeout"]);
    const readiness: Readiness = {
      conditions,
      ...(s.healthcheck ? { healthcheck: s.healthcheck, probe: probeCommand(s.containerName, s.healthcheck) } : {}),
      ...(conditions.includes("service_completed_successfully") ? { wait: waitContainer(s.containerName) } : {}),
      completionTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : DEFAULT_COMPLETION_TIMEOUT_MS,
    };
    return {
      service: s.name,
      container: s.containerName,
      image: ref,
      action,
      reason,
      configHash,
      commands,
      // Only a new container is created ahead of its dependencies: a recreate removes a container
      // that may be serving, so it waits, like the start, until every dependency holds.
      prepare: createEarly && action === "create" ? commands.slice(0, -1) : [],
      launch: createEarly && action === "create" ? commands.slice(-1) : commands,
      dependsOn: s.dependsOn.filter((d) => selected.has(d.service)),
      ...(build ? { build: build.service } : {}),
      readiness,
      ...(grace !== undefined ? { stopTimeoutSec: grace } : {}),
      ...(s.annotations[JAIL_PROFILE_ANNOTATION] ? { jailProfile: s.annotations[JAIL_PROFILE_ANNOTATION] } : {}),
    };
  });

  if (secrets.length + containers.length > 0 && usesEnvSecrets(suite, runnable) && observed.podmanVersion && releaseBefore(observed.podmanVersion, ENV_SECRETS_HIDDEN_SINCE)) {
    warnings.push(`podman ${observed.podmanVersion} shows type=env secrets in \`podman inspect\` (fixed in podman 5.3): upgrade podman or use file secrets`);
  }
  if (problems.length) throw new SuiteError(`${suite.file}: the suite cannot start`, problems);
  return { project: suite.project, order, networks, secrets, pulls, builds, buildGroups: buildGroups(builds), containers, warnings };
}

/** The healthcheck as podman exec runs it: CMD-SHELL through sh -c, CMD as given. */
export function probeCommand(container: string, hc: Healthcheck): Command {
  const [kind, ...rest] = hc.test;
  const argv = kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest;
  return execInContainer(container, argv);
}

/** Services named on the command line must exist: a SuiteError naming the ones that do not. */
export function requireServices(suite: Suite, asked: readonly string[]): void {
  const unknown = asked.filter((n) => !suite.services.has(n));
  if (unknown.length) {
    throw new SuiteError(`no such service: ${unknown.join(", ")}`, unknown.map((n) => ({ message: `${n} is not a service of ${suite.file} (services: ${[...suite.services.keys()].join(", ")})` })));
  }
}

function selectServices(suite: Suite, asked: readonly string[], noDeps: boolean): Set<string> {
  requireServices(suite, asked);
  if (noDeps && asked.length) return new Set(asked);
  // Build-only services never run, so no closure reaches them: one asked for by name is built.
  const roots = asked.length ? asked : [...suite.services.keys()];
  return new Set([...dependencyGraph(suite).startClosure(roots), ...roots.filter((n) => suite.services.get(n)!.buildOnly)]);
}

function buildGroups(builds: readonly BuildStep[]): string[][] {
  const level = new Map<string, number>();
  const byName = new Map(builds.map((b) => [b.service, b]));
  const depth = (b: BuildStep): number => {
    const known = level.get(b.service);
    if (known !== undefined) return known;
    level.set(b.service, 0); // a FROM cycle is the suite loader's to reject; do not loop here
    const d = Math.max(-1, ...b.after.map((a) => depth(byName.get(a)!))) + 1;
    level.set(b.service, d);
    return d;
  };
  const groups: string[][] = [];
  for (const b of builds.filter((x) => x.action === "build")) (groups[depth(b)] ??= []).push(b.service);
  return groups.filter(Boolean).map((g) => g.sort());
}

function usesEnvSecrets(suite: Suite, services: readonly Service[]): boolean {
  return services.some((s) => s.secrets.some((x) => x.type === "env" && suite.secrets.has(x.source)));
}
