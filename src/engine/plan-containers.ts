import type { Command } from "../core/command.js";
import type { Problem } from "../core/errors.js";
import { type ContainerSpec, createContainer, execInContainer, removeContainer, startContainer, waitContainer } from "../podman/container.js";
import { type ContainerSummary, hasExited } from "../podman/readers.js";
import type { Dependency, DependencyCondition, Healthcheck, Service } from "../suite/model.js";
import { normaliseImageRef } from "./build-context.js";
import { CONFIG_HASH_LABEL, CONFIG_PARTS_LABEL, changedParts, hashOf, partsLabel, secretFingerprint } from "./hash.js";
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
  /** The healthcheck run once, saying CHECK_PASSED when it passed (probeCommand). */
  readonly probe?: Command;
  /** The healthcheck alone, for a container without /bin/sh (checkCommand). */
  readonly check?: Command;
  /** The healthcheck repeated inside the container until it passes (readiness.ts, watchers). */
  readonly watch?: Command;
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

/**
 * One step per selected running service: what to do with its container, and what ready means for
 * it. A dependent left alone launches nothing and so waits for nothing: only the conditions of
 * dependents that create, recreate or start count, so a second start with nothing to do runs no
 * probe at all (`wait` still checks every healthcheck).
 */
export function planContainers(at: Planning, inputs: ContainerInputs): ContainerStep[] {
  const running = new Set(at.runnable.map((s) => s.name));
  const withEvery = at.runnable.map((s) => containerStep(at, s, inputs, conditionsFor(at, s, running, inputs.wait)));
  const launching = new Set(withEvery.filter((c) => c.action !== "leave").map((c) => c.service));
  if (launching.size === running.size) return withEvery;
  return at.runnable.map((s, i) => {
    const conditions = conditionsFor(at, s, launching, inputs.wait);
    const step = withEvery[i]!;
    return conditions.length === step.readiness.conditions.length ? step : { ...step, readiness: readinessOf(at, s, conditions) };
  });
}

/** The conditions `s`'s dependents among `waiting` wait on, and service_healthy under `wait`. */
function conditionsFor(at: Planning, s: Service, waiting: ReadonlySet<string>, wait: boolean): DependencyCondition[] {
  const demanded = at.graph.awaitedConditions(s.name, waiting);
  return [...new Set([...demanded, ...(wait && s.healthcheck ? (["service_healthy"] as const) : [])])].sort();
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
  const chosen = chooseAction(spec, at.observed.containers[s.containerName], conditions, inputs.noRecreate);
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
 * fingerprints of the secrets it uses. A changed hash is what recreates a container; the parts
 * label beside it (each spec field, the image, the secret values) tells which of them changed.
 */
function definition(at: Planning, s: Service, build: BuildStep | undefined, secretValues: ReadonlyMap<string, string>): { spec: ContainerSpec; configHash: string } {
  const base = containerSpec(at.suite, s);
  const usable = (base.secrets ?? []).filter((x) => secretValues.has(x.name));
  const ref = normaliseImageRef(s.image);
  const imageIdentity = build ? `built:${build.inputHash}` : (observedOn(at.observed, serviceHost(s)).images[ref]?.id ?? `absent:${ref}`);
  const specNoHash: ContainerSpec = { ...base, secrets: usable };
  const secretValueFingerprints = usable.map((x) => secretFingerprint(x.name, secretValues.get(x.name)!));
  const configHash = hashOf({ argv: createContainer(specNoHash).argv, image: imageIdentity, secrets: secretValueFingerprints }).slice(0, 32);
  const parts = partsLabel({ ...specNoHash, "image-id": imageIdentity, "secret-values": secretValueFingerprints });
  return { spec: { ...specNoHash, labels: { ...specNoHash.labels, [CONFIG_HASH_LABEL]: configHash, [CONFIG_PARTS_LABEL]: parts } }, configHash };
}

/** Why a container's definition differs from the one it runs, in words: which inputs changed, when its labels tell. */
function divergence(current: ContainerSummary, spec: ContainerSpec): string {
  if (!current.labels[CONFIG_HASH_LABEL]) return "not created by micropod";
  const changed = changedParts(current.labels[CONFIG_PARTS_LABEL], spec.labels![CONFIG_PARTS_LABEL]!);
  if (!changed?.length) return "definition changed";
  const words: Record<string, string> = { "image-id": "image", "secret-values": "secret value" };
  return `definition changed: ${changed.map((k) => words[k] ?? k).join(", ")}`;
}

/** Create, recreate, start or leave alone, from what exists now (Compose's convergence). */
function chooseAction(
  spec: ContainerSpec,
  current: ContainerSummary | undefined,
  conditions: readonly DependencyCondition[],
  noRecreate: boolean,
): { action: ContainerAction; reason: string; commands: Command[] } {
  const create = [createContainer(spec), startContainer(spec.name)];
  if (!current) return { action: "create", reason: "no container", commands: create };
  const diverged = current.labels[CONFIG_HASH_LABEL] !== spec.labels![CONFIG_HASH_LABEL];
  const kept = diverged ? `${divergence(current, spec)}, not recreated` : "unchanged";
  if (diverged && !noRecreate) {
    const grace = spec.stopTimeoutSec;
    const remove = removeContainer(spec.name, { force: true, ...(grace !== undefined ? { timeoutSec: grace } : {}) });
    return { action: "recreate", reason: divergence(current, spec), commands: [remove, ...create] };
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
    ...(s.healthcheck
      ? { healthcheck: s.healthcheck, probe: on(probeCommand(s.containerName, s.healthcheck)), check: on(checkCommand(s.containerName, s.healthcheck)), watch: on(watchCommand(s.containerName, s.healthcheck)) }
      : {}),
    ...(conditions.includes("service_completed_successfully") ? { wait: on(waitContainer(s.containerName)) } : {}),
    completionTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : DEFAULT_COMPLETION_TIMEOUT_MS,
  };
}

/**
 * What a probe or a watcher prints once the check passed. An exit status alone is not trusted:
 * under load podman 4.3.1's `exec` was seen exiting 0 for a check that cannot pass (`test -f`
 * of a file never made), in this project's CI; a line the check's own shell printed after it
 * passed cannot come from such a slip.
 */
export const CHECK_PASSED = "micropod-check-passed";

/**
 * The healthcheck run once from outside: the check as podman exec runs it (checkCommand), inside
 * a shell that prints CHECK_PASSED when it exits 0; its own output comes first, for the error.
 */
export function probeCommand(container: string, hc: Healthcheck): Command {
  return execInContainer(container, ["/bin/sh", "-c", `"$@" && echo ${CHECK_PASSED}`, "micropod-probe", ...checkArgv(hc)]);
}

/**
 * The healthcheck as podman exec runs it: CMD-SHELL through sh -c, CMD as given. The probe for a
 * container without /bin/sh, where only the exit status can tell.
 */
export function checkCommand(container: string, hc: Healthcheck): Command {
  return execInContainer(container, checkArgv(hc));
}

const checkArgv = (hc: Healthcheck): string[] => {
  const [kind, ...rest] = hc.test;
  return kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest;
};

/** True when a probe's or watcher's output says the check passed (CHECK_PASSED is its last line). */
export function checkPassed(r: { exitCode: number; stdout: string }): boolean {
  return r.exitCode === 0 && r.stdout.trimEnd().split("\n").at(-1) === CHECK_PASSED;
}

/** How often a watcher repeats the check inside the container, in seconds. */
export const WATCH_PERIOD_SEC = 0.1;

/**
 * One `podman exec` that repeats the healthcheck inside the container every WATCH_PERIOD_SEC
 * until it passes (exit 0), at most for the check's whole failure budget (then exit 3, so a
 * watcher left behind ends by itself). Fractional sleep is busybox's, GNU's and FreeBSD's
 * ("allows and honors a non-integer number of seconds", checked: freebsd-src bin/sleep/sleep.1);
 * where it is refused, `sleep 1` keeps the loop from spinning. A container without /bin/sh
 * answers 126/127 and micropod probes from outside alone.
 */
export function watchCommand(container: string, hc: Healthcheck): Command {
  const budgetMs = hc.startPeriodMs + Math.max(1, hc.retries) * (hc.intervalMs + hc.timeoutMs);
  const rounds = Math.min(Math.ceil(budgetMs / (WATCH_PERIOD_SEC * 1000)), 6000);
  const loop = `n=$1; shift; while :; do "$@" >/dev/null 2>&1 && echo ${CHECK_PASSED} && exit 0; n=$((n-1)); [ "$n" -gt 0 ] || exit 3; sleep ${WATCH_PERIOD_SEC} 2>/dev/null || sleep 1; done`;
  return execInContainer(container, ["/bin/sh", "-c", loop, "micropod-watch", String(rounds), ...checkArgv(hc)]);
}
