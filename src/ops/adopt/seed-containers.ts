import type { Runner } from "../../core/runner.js";
import { inspectContainer, listContainers } from "../../podman/container.js";
import { type ContainerSetup, readContainerList, readContainerSetup } from "../../podman/readers.js";
import { dependencyGraph } from "../../suite/graph.js";
import type { Suite } from "../../suite/model.js";
import { SEED_NAME_PREFIX, keptName } from "./seed.js";

/** A container of the seed suite, and the micropod service that takes its place (if any). */
export interface SeedContainer extends ContainerSetup {
  readonly successor?: string;
}

/** micropod's own containers carry its compose labels (engine/spec.ts composeLabels). */
export const isMicropods = (labels: Readonly<Record<string, string>>, project: string): boolean =>
  labels["com.docker.compose.project"] === project && labels["io.podman.compose.version"] === "micropod";

/** A seed container's name: `mastodon-*`, or a service or container name of micropod's suite (the seed's `postgresql`). */
function isSeedName(name: string, suite: Suite): boolean {
  if (name.endsWith(keptName(""))) return false;
  return name.startsWith(SEED_NAME_PREFIX) || [...suite.services.values()].some((s) => !s.buildOnly && (s.name === name || s.containerName === name));
}

/** The service replacing a seed container: same container name, else same name with or without `mastodon-`. */
export function successorOf(name: string, suite: Suite): string | undefined {
  const runnable = [...suite.services.values()].filter((s) => !s.buildOnly);
  const bare = name.startsWith(SEED_NAME_PREFIX) ? name.slice(SEED_NAME_PREFIX.length) : name;
  return (runnable.find((s) => s.containerName === name) ?? runnable.find((s) => s.name === name || s.name === bare))?.name;
}

/**
 * The seed's containers, in the order to stop them: those micropod has no service for first
 * (Mastodon processes of the seed's own), then the rest in reverse dependency order of the
 * services replacing them, so web and Sidekiq stop before the database they write to.
 */
export async function findSeedContainers(runner: Runner, suite: Suite): Promise<SeedContainer[]> {
  const names = readContainerList((await runner.run(listContainers())).stdout)
    .filter((c) => !isMicropods(c.labels, suite.project) && isSeedName(c.name, suite))
    .map((c) => c.name);
  if (names.length === 0) return [];
  const found = readContainerSetup((await runner.run(inspectContainer(...names))).stdout).map((c) => ({ ...withCreatedAddresses(c), ...(successorOf(c.name, suite) ? { successor: successorOf(c.name, suite)! } : {}) }));
  const order = dependencyGraph(suite).order(new Set([...suite.services.keys()]));
  const rank = (c: SeedContainer) => (c.successor ? order.indexOf(c.successor) : Infinity);
  return found.sort((a, b) => rank(b) - rank(a) || a.name.localeCompare(b.name));
}

/**
 * A stopped container shows no address in NetworkSettings; podman keeps the command that created
 * it, so a single network's static `--ip`/`--ip6` are read from there (to reconnect it the same).
 */
function withCreatedAddresses(c: ContainerSetup): ContainerSetup {
  if (c.networks.length !== 1 || c.networks[0]!.ipv4 || c.networks[0]!.ipv6) return c;
  const flags: Record<string, string> = {};
  const argv = c.createCommand;
  for (let i = 0; i < argv.length; i++) {
    const m = /^(--ip6?)(?:=(.*))?$/.exec(argv[i]!);
    if (m) flags[m[1]!] = m[2] ?? argv[++i] ?? "";
  }
  if (!flags["--ip"] && !flags["--ip6"]) return c;
  const n = c.networks[0]!;
  return { ...c, networks: [{ ...n, ...(flags["--ip"] ? { ipv4: flags["--ip"] } : {}), ...(flags["--ip6"] ? { ipv6: flags["--ip6"] } : {}) }] };
}
