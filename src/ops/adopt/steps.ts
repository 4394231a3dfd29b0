import { type Command, command } from "../../core/command.js";
import { stopTimeoutSec } from "../../engine/spec.js";
import { zfsSnapshot } from "../../host/tools/zfs.js";
import { renameContainer, setRestartPolicy, startContainer, stopContainer } from "../../podman/container.js";
import { connectNetwork, createNetwork, disconnectNetwork, removeNetwork } from "../../podman/network.js";
import type { Suite } from "../../suite/model.js";
import type { AdoptionJournal } from "./journal.js";
import { keptName } from "./seed.js";

/**
 * The commands of each adoption step, built from the journal (what adopt records before it
 * acts), so `adopt --check` prints what `adopt` runs and `--revert` undoes exactly that.
 */
export type Journal = Pick<AdoptionJournal, "containers" | "networks" | "snapshots">;

/**
 * Stop the running seed containers in order, each with the grace period of the service replacing
 * it (PostgreSQL checkpoints first), else with the container's own stop timeout.
 */
export const stopSeed = (j: Journal): Command[] => j.containers.filter((c) => c.running).map((c) => stopContainer(c.name, c.stopTimeoutSec));

export const snapshot = (j: Journal): Command[] => j.snapshots.map((s) => zfsSnapshot(s));

/** Detach the seed's containers from a network on micropod's subnet and remove it. */
export const moveNetworksAside = (j: Journal): Command[] =>
  j.networks.flatMap((n) => [...n.connections.map((c) => disconnectNetwork(n.network.name, c.container)), removeNetwork(n.network.name)]);

/** Keep the seed's containers, stopped, under another name, and out of podman's boot script. */
export const keepSeed = (j: Journal): Command[] =>
  j.containers.flatMap((c) => [renameContainer(c.name, c.kept), ...(c.restartOff ? [setRestartPolicy(c.kept, "no")] : [])]);

export const copyData = (from: string, to: string): Command => command(["cp", "-Rp", from, to]);

/** Revert: the seed's containers under their names again, with their restart policy. */
export const restoreSeed = (j: Journal): Command[] =>
  j.containers.flatMap((c) => [renameContainer(c.kept, c.name), ...(c.restartOff ? [setRestartPolicy(c.name, c.restartPolicy)] : [])]);

/** Revert: the seed's networks as they were, its containers attached with their addresses and aliases. */
export const restoreNetworks = (j: Journal): Command[] =>
  j.networks.flatMap((n) => [
    createNetwork({
      name: n.network.name,
      driver: n.network.driver,
      ipv6: n.network.ipv6,
      internal: n.network.internal,
      disableDns: !n.network.dnsEnabled,
      subnets: n.network.subnets,
      labels: n.network.labels,
    }),
    ...n.connections.map((c) => connectNetwork(n.network.name, c.container, c)),
  ]);

/** Revert: start what ran, in the order it started (the reverse of the stop order). */
export const startSeed = (j: Journal): Command[] => [...j.containers].reverse().filter((c) => c.running).map((c) => startContainer(c.name));

/** The journal's view of the seed's containers, before anything ran. */
export function seedEntries(suite: Suite, containers: ReadonlyArray<{ name: string; running: boolean; restartPolicy: string; successor?: string }>, restartOff: readonly string[]): AdoptionJournal["containers"] {
  return containers.map((c) => {
    const successor = c.successor ? suite.services.get(c.successor) : undefined;
    const grace = successor ? stopTimeoutSec(successor) : undefined;
    return { name: c.name, kept: keptName(c.name), running: c.running, restartPolicy: c.restartPolicy, restartOff: restartOff.includes(c.name), ...(grace !== undefined ? { stopTimeoutSec: grace } : {}) };
  });
}
