import type { Command } from "../core/command.js";
import type { Problem } from "../core/errors.js";
import { type ContainerSpec, createContainer, execInContainer, removeContainer, startContainer, waitContainer } from "../podman/container.js";
import { type ContainerSummary, hasExited } from "../podman/readers.js";
import type { Dependency, DependencyCondition, Healthcheck, Service } from "../suite/model.js";
import { normaliseImageRef } from "./build-context.js";
import { CONFIG_HASH_LABEL, hashOf, secretFingerprint } from "./hash.js";
import { JAIL_PROFILE_ANNOTATION } from "./jail-profile.js";
import type { BuildStep } from "./plan-images.js";
import { hostUrl, serviceHost } from "../suite/placement.js";
import { commandFor, observedOn } from "./placement.js";
import type { Planning } from "./planning.js";
import { containerSpec } from "./spec.js";

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
  /** The host it runs on (suite/placement.ts): every command below is pointed at its podman. */
  readonly host: string;
  /** That host's podman URL; absent for the local podman. */
  readonly url?: string;
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

/** What the container planner takes from the other step planners and the options. */
export interface ContainerInputs {
  /** Planned builds by service. */
  readonly builds: ReadonlyMap<string, BuildStep>;
  /** Podman secret values by name (planSecrets): a container uses only the secrets that have one. */
  readonly secretValues: ReadonlyMap<string, string>;
  /** Every selected service: a depends_on edge to another is not waited on (noDeps). */
  readonly selected: ReadonlySet<string>;
  readonly wait: boolean;
  readonly noRecreate: boolean;
}

const DEFAULT_COMPLETION_TIMEOUT_MS = 30 * 60_000;

/** One step per selected running service: what to do with its container, and what ready means for it. */
export function planContainers(at: Planning, inputs: ContainerInputs): ContainerStep[] {
  const running = new Set(at.runnable.map((s) => s.name));
  return at.runnable.map((s) => {
    const demanded = at.graph.awaitedConditions(s.name, running);
    const conditions = [...new Set([...demanded, ...(inputs.wait && s.healthcheck ? (["service_healthy"] as const) : [])])].sort();
    return containerStep(at, s, inputs, conditions);
  });
}

/** A dependent waiting for service_healthy needs a healthcheck to run. */
export function healthchecksWaitedFor(at: Planning): Problem[] {
  const problems: Problem[] = [];
  for (const s of at.runnable) {
    for (const d of s.dependsOn) {
      if (d.condition === "service_healthy" && at.suite.services.has(d.service) && !at.suite.services.get(d.service)!.healthcheck) {
        problems.push({ path: `services/${s.name}/depends_on/${d.service}`, message: `waits for service_healthy but ${d.service} has no healthcheck` });
      }
    }
  }
  return problems;
}

function containerStep(at: Planning, s: Service, inputs: ContainerInputs, conditions: DependencyCondition[]): ContainerStep {
  const builder = at.graph.imageBuilder(s.name);
  const build = builder === undefined ? undefined : inputs.builds.get(builder);
  const { spec, configHash } = definition(at, s, build, inputs.secretValues);
  const chosen = chooseAction(spec, at.observed.containers[s.containerName], configHash, conditions, inputs.noRecreate);
  const { action, reason } = chosen;
  const commands = chosen.commands.map((c) => commandFor(at.suite, s.name, c));
  const grace = spec.stopTimeoutSec;
  // Only a new container is created ahead of its dependencies: a recreate removes a container
  // that may be serving, so it waits, like the start, until every dependency holds.
  const early = !spec.networkMode?.startsWith("container:") && action === "create";
  return {
    service: s.name,
    host: serviceHost(s),
    ...(hostUrl(at.suite, serviceHost(s)) ? { url: hostUrl(at.suite, serviceHost(s)) } : {}),
    container: s.containerName,
    image: normaliseImageRef(s.image),
    action,
    reason,
    configHash,
    commands,
    prepare: early ? commands.slice(0, -1) : [],
    launch: early ? commands.slice(-1) : commands,
    dependsOn: s.dependsOn.filter((d) => inputs.selected.has(d.service)),
    ...(build ? { build: build.service } : {}),
    readiness: readinessOf(at, s, conditions),
    ...(grace !== undefined ? { stopTimeoutSec: grace } : {}),
    ...(s.annotations[JAIL_PROFILE_ANNOTATION] ? { jailProfile: s.annotations[JAIL_PROFILE_ANNOTATION] } : {}),
  };
}

/**
 * The container's `podman create` spec, labelled with its config hash: a hash of the create argv,
 * the image's identity (a planned build's input hash, or the local image's id) and the
 * fingerprints of the secrets it uses. A changed hash is what recreates a container.
 */
function definition(at: Planning, s: Service, build: BuildStep | undefined, secretValues: ReadonlyMap<string, string>): { spec: ContainerSpec; configHash: string } {
  const base = containerSpec(at.suite, s);
  const usable = (base.secrets ?? []).filter((x) => secretValues.has(x.name));
  const ref = normaliseImageRef(s.image);
  const imageIdentity = build ? `built:${build.inputHash}` : (observedOn(at.observed, serviceHost(s)).images[ref]?.id ?? `absent:${ref}`);
  const specNoHash: ContainerSpec = { ...base, secrets: usable };
  const configHash = hashOf({
    argv: createContainer(specNoHash).argv,
    image: imageIdentity,
    secrets: usable.map((x) => secretFingerprint(x.name, secretValues.get(x.name)!)),
  }).slice(0, 32);
  return { spec: { ...specNoHash, labels: { ...specNoHash.labels, [CONFIG_HASH_LABEL]: configHash } }, configHash };
}

/** Create, recreate, start or leave alone, from what exists now (Compose's convergence). */
function chooseAction(
  spec: ContainerSpec,
  current: ContainerSummary | undefined,
  configHash: string,
  conditions: readonly DependencyCondition[],
  noRecreate: boolean,
): { action: ContainerAction; reason: string; commands: Command[] } {
  const create = [createContainer(spec), startContainer(spec.name)];
  if (!current) return { action: "create", reason: "no container", commands: create };
  const diverged = current.labels[CONFIG_HASH_LABEL] !== configHash;
  const kept = diverged ? "definition changed, not recreated" : "unchanged";
  if (diverged && !noRecreate) {
    const grace = spec.stopTimeoutSec;
    const remove = removeContainer(spec.name, { force: true, ...(grace !== undefined ? { timeoutSec: grace } : {}) });
    return { action: "recreate", reason: current.labels[CONFIG_HASH_LABEL] ? "definition changed" : "not created by micropod", commands: [remove, ...create] };
  }
  if (current.state === "running") return { action: "leave", reason: `running, ${kept}`, commands: [] };
  if (hasExited(current.state) && current.exitCode === 0 && conditions.includes("service_completed_successfully")) {
    // A one-shot that already completed with this very definition has nothing left to do.
    return { action: "leave", reason: `completed, ${kept}`, commands: [] };
  }
  return { action: "start", reason: `${current.state}, ${kept}`, commands: [startContainer(spec.name)] };
}

function readinessOf(at: Planning, s: Service, conditions: readonly DependencyCondition[]): Readiness {
  const timeout = Number(s.extensions["completion-timeout"]);
  const on = (c: Command) => commandFor(at.suite, s.name, c);
  return {
    conditions,
    ...(s.healthcheck ? { healthcheck: s.healthcheck, probe: on(probeCommand(s.containerName, s.healthcheck)) } : {}),
    ...(conditions.includes("service_completed_successfully") ? { wait: on(waitContainer(s.containerName)) } : {}),
    completionTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : DEFAULT_COMPLETION_TIMEOUT_MS,
  };
}

/** The healthcheck as podman exec runs it: CMD-SHELL through sh -c, CMD as given. */
export function probeCommand(container: string, hc: Healthcheck): Command {
  const [kind, ...rest] = hc.test;
  const argv = kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest;
  return execInContainer(container, argv);
}
