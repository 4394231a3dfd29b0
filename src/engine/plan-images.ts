import { join } from "node:path";
import type { Command } from "../core/command.js";
import type { Problem } from "../core/errors.js";
import { buildImage, pullImage } from "../podman/image.js";
import type { Service } from "../suite/model.js";
import { normaliseImageRef } from "./build-context.js";
import { INPUT_HASH_LABEL, INPUT_PARTS_LABEL, changedParts, hashOf, partsLabel } from "./hash.js";
import { serviceHost } from "../suite/placement.js";
import { commandOn, observedOn } from "./placement.js";
import type { Planning } from "./planning.js";

export interface BuildStep {
  readonly service: string;
  /** The host it builds on: its build service's (suite/placement.ts). */
  readonly host: string;
  readonly image: string;
  readonly inputHash: string;
  readonly action: "build" | "up-to-date";
  /** Why it builds or not, in a few words ("no image", "inputs changed: context", "cached"). */
  readonly reason: string;
  readonly command: Command;
  readonly logFile: string;
  /** Build services whose images this one builds FROM: they finish first. */
  readonly after: readonly string[];
}

export interface PullStep {
  readonly image: string;
  /** The host whose storage lacks it. */
  readonly host: string;
  readonly command: Command;
}

/**
 * Every build the selected services need (their images, and the suite images those build FROM),
 * in compose-file order, each "up-to-date" when its image carries the input hash it would get.
 * A FROM cycle (no order can build it) is a problem, and nothing is planned.
 */
export function planBuilds(at: Planning, order: readonly string[], logDir = "/var/log/containers"): { steps: BuildStep[]; problems: Problem[] } {
  const needed = at.graph.buildClosure(order);
  const cycles = at.graph.buildCycles().filter((c) => needed.includes(c[0]!));
  if (cycles.length) {
    const problems = cycles.map((c) => ({ path: `services/${c[0]}/build`, message: `FROM cycle: ${c.join(" -> ")} (each Containerfile builds FROM an image the next one builds)` }));
    return { steps: [], problems };
  }
  const inputsOf = buildInputs(at);
  const steps = needed.map((name): BuildStep => {
    const s = at.suite.services.get(name)!;
    const image = normaliseImageRef(s.image);
    const inputs = inputsOf(s);
    const h = inputs ? hashOf(inputs).slice(0, 32) : "unknown";
    const parts = inputs ? partsLabel(inputs) : "";
    const host = serviceHost(s);
    const existing = observedOn(at.observed, host).images[image]?.labels;
    const upToDate = h !== "unknown" && existing?.[INPUT_HASH_LABEL] === h;
    return {
      service: name,
      host,
      image,
      inputHash: h,
      action: upToDate ? "up-to-date" : "build",
      reason: upToDate ? "cached" : buildReason(existing, h, parts),
      command: commandOn(at.suite, host, buildImage({
        context: s.build!.context,
        file: s.build!.dockerfile,
        tags: [image],
        buildArgs: s.build!.args,
        labels: { [INPUT_HASH_LABEL]: h, ...(parts ? { [INPUT_PARTS_LABEL]: parts } : {}), "com.docker.compose.project": at.suite.project, "com.docker.compose.service": name },
        ...(s.build!.target ? { target: s.build!.target } : {}),
      })),
      logFile: join(logDir, `build-${name}.log`),
      after: [...at.graph.baseBuilders(name)].sort(),
    };
  });
  return { steps, problems: [] };
}

/** Why an image is built: it is missing, its context could not be read, or which of its inputs changed. */
function buildReason(existing: Readonly<Record<string, string>> | undefined, hash: string, parts: string): string {
  if (!existing) return "no image";
  if (hash === "unknown") return "build context unreadable";
  if (!existing[INPUT_HASH_LABEL]) return "not built by micropod";
  const changed = changedParts(existing[INPUT_PARTS_LABEL], parts);
  const words: Record<string, string> = { context: "build context", bases: "base image" };
  return changed?.length ? `changed: ${changed.map((k) => words[k] ?? k).join(", ")}` : "inputs changed";
}

/**
 * A build's identity: its context digest, args, target and the identity of each base (a suite
 * build's own input hash, or the local image's id). Undefined when its context could not be read.
 */
function buildInputs(at: Planning): (s: Service) => Record<string, unknown> | undefined {
  const known = new Map<string, Record<string, unknown> | undefined>();
  const inputsOf = (s: Service): Record<string, unknown> | undefined => {
    if (known.has(s.name)) return known.get(s.name);
    const ctx = at.observed.buildContexts[s.name];
    let inputs: Record<string, unknown> | undefined;
    if (ctx) {
      const bases = Object.fromEntries(
        ctx.bases.map((ref) => {
          const b = at.graph.builderOfImage(ref);
          const built = b && b !== s.name ? inputsOf(at.suite.services.get(b)!) : undefined;
          const local = observedOn(at.observed, serviceHost(s)).images[ref];
          return [ref, b && b !== s.name ? `built:${built ? hashOf(built).slice(0, 32) : "unknown"}` : (local?.id ?? `absent:${ref}`)];
        }),
      );
      inputs = { context: ctx.digest, args: s.build!.args, target: s.build!.target, bases };
    }
    known.set(s.name, inputs);
    return inputs;
  };
  return inputsOf;
}

/** Builds that may run side by side: each group needs only images of earlier groups. */
export function buildGroups(at: Planning, builds: readonly BuildStep[]): string[][] {
  const groups: string[][] = [];
  for (const b of builds.filter((x) => x.action === "build")) (groups[at.graph.buildDepth(b.service)] ??= []).push(b.service);
  return groups.filter(Boolean).map((g) => g.sort());
}

/** Images no service builds and a host's storage lacks, once each per host. */
export function planPulls(at: Planning): PullStep[] {
  const pulls: PullStep[] = [];
  for (const s of at.runnable) {
    const ref = normaliseImageRef(s.image);
    const host = serviceHost(s);
    if (at.graph.imageBuilder(s.name) !== undefined || observedOn(at.observed, host).images[ref] || pulls.some((p) => p.image === ref && p.host === host)) continue;
    pulls.push({ image: ref, host, command: commandOn(at.suite, host, pullImage(ref)) });
  }
  return pulls;
}

/** Key of a pull in the execution's map: one per image and host. */
export const pullKey = (host: string, image: string): string => `${host}\0${image}`;

/** A service on one host cannot run an image built on another: each host builds what it runs. */
export function buildsElsewhere(at: Planning): Problem[] {
  const problems: Problem[] = [];
  for (const s of at.runnable) {
    const builder = at.graph.imageBuilder(s.name);
    if (builder === undefined) continue;
    const b = at.suite.services.get(builder)!;
    if (serviceHost(b) === serviceHost(s)) continue;
    problems.push({
      path: `services/${s.name}/x-micropod/host`,
      message: `${s.name} runs on ${serviceHost(s)} the image ${b.name} builds on ${serviceHost(b)}: place them on the same host (images are built where they run; copying them with podman image scp is not done yet)`,
    });
  }
  return problems;
}
