import { readFile } from "node:fs/promises";
import type { Runner } from "../core/runner.js";
import { listContainers } from "../podman/container.js";
import { listImages, podmanVersion } from "../podman/image.js";
import { listNetworks } from "../podman/network.js";
import { type ContainerSummary, type ImageSummary, readContainerList, readImageList, readNames, readSecretInspect } from "../podman/readers.js";
import { inspectSecrets, listSecrets } from "../podman/secret.js";
import type { Suite } from "../suite/model.js";
import { type BuildContextFacts, readBuildContext } from "./build-context.js";
import { podmanSecretName } from "./spec.js";

/**
 * What exists now: the input of the pure planner. Everything here is read with read-only
 * commands or from files, so `plan` may gather it on a live host and pass an empty one elsewhere.
 */
export interface ObservedState {
  readonly podmanVersion?: string;
  /** Containers whose name is one of the suite's container names, by that name. */
  readonly containers: Readonly<Record<string, ContainerSummary>>;
  /** Local images by every name they carry (`name:tag`). */
  readonly images: Readonly<Record<string, ImageSummary>>;
  readonly networks: readonly string[];
  /** Podman secrets by name, with their labels (never their values). */
  readonly secrets: Readonly<Record<string, { readonly labels: Readonly<Record<string, string>> }>>;
  /** Build inputs read from each building service's context. Absent: the planner cannot tell, and builds. */
  readonly buildContexts: Readonly<Record<string, BuildContextFacts>>;
  /** Contents of file-backed secrets (`secrets: x: file:`), by secret key. */
  readonly secretFiles: Readonly<Record<string, string>>;
  /** Each host's own images, networks and secrets, when the suite spans hosts (engine/placement.ts). */
  readonly byHost?: Readonly<Record<string, PodmanObservation>>;
}

/** What one podman's storage holds besides containers (those are merged by name across hosts). */
export type PodmanObservation = Pick<ObservedState, "images" | "networks" | "secrets" | "podmanVersion">;

/** A fresh host: nothing exists. */
export const emptyObservedState = (): ObservedState => ({ containers: {}, images: {}, networks: [], secrets: {}, buildContexts: {}, secretFiles: {} });

/** The file-system half of observation: build contexts and secret files. Needs no podman. */
export async function observeFiles(suite: Suite): Promise<Pick<ObservedState, "buildContexts" | "secretFiles">> {
  const builds = [...suite.services.values()].filter((s) => s.build);
  const facts = await Promise.all(builds.map(async (s) => [s.name, await readBuildContext(s.build!)] as const));
  const files: Record<string, string> = {};
  for (const s of suite.secrets.values()) if (s.file && !s.environment) files[s.name] = await readFile(s.file, "utf8");
  return { buildContexts: Object.fromEntries(facts), secretFiles: files };
}

/** The suite's containers, from one `podman ps --all`: all that `stop` needs to know. */
export async function observeContainers(runner: Runner, suite: Suite): Promise<Pick<ObservedState, "containers">> {
  const ours = new Set([...suite.services.values()].map((s) => s.containerName));
  const ps = await runner.run(listContainers());
  return { containers: Object.fromEntries(readContainerList(ps.stdout).filter((c) => ours.has(c.name)).map((c) => [c.name, c])) };
}

/**
 * Observe podman and the files the suite builds from: one read-only command per kind of object
 * (containers, images, networks, secrets, version), all at once, so observing costs the same
 * five podman processes for 12 services as for 48.
 */
export async function observe(runner: Runner, suite: Suite): Promise<ObservedState> {
  const ourSecrets = new Set([...suite.secrets.keys()].map((k) => podmanSecretName(suite, k)));
  const [version, ps, images, networks, secretNames, files] = await Promise.all([
    runner.run(podmanVersion(), { allowFailure: true }),
    observeContainers(runner, suite),
    runner.run(listImages()),
    runner.run(listNetworks()),
    runner.run(listSecrets()),
    observeFiles(suite),
  ]);
  const present = readNames(secretNames.stdout).filter((n) => ourSecrets.has(n));
  const secretDetails = present.length ? readSecretInspect((await runner.run(inspectSecrets(...present))).stdout) : [];
  const imageIndex: Record<string, ImageSummary> = {};
  for (const img of readImageList(images.stdout)) for (const n of img.names) imageIndex[n] = img;
  return {
    ...(version.exitCode === 0 && version.stdout.trim() ? { podmanVersion: version.stdout.trim() } : {}),
    ...ps,
    images: imageIndex,
    networks: readNames(networks.stdout),
    secrets: Object.fromEntries(secretDetails.map((s) => [s.name, { labels: s.labels }])),
    ...files,
  };
}
