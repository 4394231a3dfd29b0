import type { Command } from "../core/command.js";
import type { Runner } from "../core/runner.js";
import { connectedRunner, onConnection } from "../podman/connection.js";
import type { Suite } from "../suite/model.js";
import { LOCAL_HOST, hostOf, hostUrl, hostsInUse, serviceHost } from "../suite/placement.js";
import { type ObservedState, type PodmanObservation, observe, observeContainers } from "./observe.js";

/**
 * The engine across hosts (suite/placement.ts places the services). One plan, one dependency
 * graph: every podman command of a step is pointed at the host of its service (`onConnection`),
 * and what exists is observed on each host and merged: containers by their (suite-unique)
 * names, images, networks and secrets per host, since each host has its own storage.
 */

/** The part of the suite on `host`: the services placed there (a build-only one builds on the host it names, default `local`). */
function suiteOn(suite: Suite, host: string): Suite {
  return { ...suite, services: new Map([...suite.services].filter(([, s]) => serviceHost(s) === host)) };
}

/** `look` run against every host the suite uses, with that host's podman and services, side by side (in hostsInUse order). */
function onEachHost<T>(runner: Runner, suite: Suite, look: (runner: Runner, suite: Suite) => Promise<T>): Promise<T[]> {
  return Promise.all(hostsInUse(suite).map((h) => look(connectedRunner(runner, hostUrl(suite, h)), suiteOn(suite, h))));
}

/** What exists on every host the suite uses; a one-host suite is observed as before. */
export async function observePlaced(runner: Runner, suite: Suite): Promise<ObservedState> {
  if (!suite.hosts) return observe(runner, suite);
  const hosts = hostsInUse(suite);
  const each = await onEachHost(runner, suite, observe);
  const byHost: Record<string, PodmanObservation> = {};
  hosts.forEach((h, i) => {
    const o = each[i]!;
    byHost[h] = { images: o.images, networks: o.networks, secrets: o.secrets, ...(o.podmanVersion ? { podmanVersion: o.podmanVersion } : {}) };
  });
  const first = each[0];
  return {
    ...(first?.podmanVersion ? { podmanVersion: first.podmanVersion } : {}),
    containers: Object.assign({}, ...each.map((o) => o.containers)) as ObservedState["containers"],
    images: first?.images ?? {},
    networks: first?.networks ?? [],
    secrets: first?.secrets ?? {},
    buildContexts: Object.assign({}, ...each.map((o) => o.buildContexts)) as ObservedState["buildContexts"],
    secretFiles: Object.assign({}, ...each.map((o) => o.secretFiles)) as ObservedState["secretFiles"],
    byHost,
  };
}

/** The suite's containers on every host it uses, one `podman ps` per host (what stop needs). */
export async function observePlacedContainers(runner: Runner, suite: Suite): Promise<Pick<ObservedState, "containers">> {
  if (!suite.hosts) return observeContainers(runner, suite);
  const each = await onEachHost(runner, suite, observeContainers);
  return { containers: Object.assign({}, ...each.map((o) => o.containers)) as ObservedState["containers"] };
}

/** Images, networks and secrets of one host: its own observation, or the one observation of a one-host suite. */
export function observedOn(observed: ObservedState, host: string): PodmanObservation {
  return observed.byHost?.[host] ?? (host === LOCAL_HOST || !observed.byHost ? observed : { images: {}, networks: [], secrets: {} });
}

/** A command for `service`, pointed at its host's podman. */
export const commandFor = (suite: Suite, service: string, c: Command): Command => onConnection(c, hostUrl(suite, hostOf(suite, service)));

/** A command for `host`'s podman. */
export const commandOn = (suite: Suite, host: string, c: Command): Command => onConnection(c, hostUrl(suite, host));
