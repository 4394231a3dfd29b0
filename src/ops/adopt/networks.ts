import { BlockList, isIPv6 } from "node:net";
import type { Problem } from "../../core/errors.js";
import type { Runner } from "../../core/runner.js";
import { containersOnNetwork, inspectNetwork } from "../../podman/network.js";
import { type NetworkDetails, readNames, readNetworkInspect } from "../../podman/readers.js";
import type { Suite } from "../../suite/model.js";
import type { SeedContainer } from "./seed-containers.js";

/** How a seed container is attached to a network, to attach it again the same way. */
export interface NetworkConnection {
  readonly container: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly aliases: readonly string[];
}

/** A seed network on a subnet micropod's network needs: removed on adopt, recreated on revert. */
export interface NetworkMove {
  readonly network: NetworkDetails;
  /** The suite network it collides with (podman's name). */
  readonly collidesWith: string;
  readonly connections: readonly NetworkConnection[];
}

/** Two CIDR blocks overlap when one holds the other's network address (blocks nest or are apart). */
export function subnetsOverlap(a: string, b: string): boolean {
  const [na, pa] = a.split("/");
  const [nb, pb] = b.split("/");
  if (!na || !nb || isIPv6(na) !== isIPv6(nb)) return false;
  const type = isIPv6(na) ? "ipv6" : "ipv4";
  const block = (net: string, prefix: string | undefined) => {
    const l = new BlockList();
    l.addSubnet(net, Number(prefix ?? (type === "ipv6" ? 128 : 32)), type);
    return l;
  };
  return block(na, pa).check(nb, type) || block(nb, pb).check(na, type);
}

/**
 * The seed's networks that stand in the way of micropod's: podman refuses to create a network
 * on a subnet another network uses (the seed's pf table shows its second network on
 * 10.89.0.0/24, micropod's own subnet). Such a network is moved out of the way only if nothing
 * but the seed's containers uses it; its definition and each container's addresses are kept to
 * recreate it on revert. A seed network under micropod's very name and subnets is simply reused.
 */
export async function collidingNetworks(runner: Runner, suite: Suite, seeds: readonly SeedContainer[]): Promise<{ moves: NetworkMove[]; problems: Problem[] }> {
  const used = [...new Set(seeds.flatMap((c) => c.networks.map((n) => n.name)))];
  const problems: Problem[] = [];
  if (used.length === 0) return { moves: [], problems };
  const details = readNetworkInspect((await runner.run(inspectNetwork(...used))).stdout);
  const ours = [...suite.networks.values()].filter((n) => !n.external);
  const moves: NetworkMove[] = [];
  for (const net of details) {
    const same = ours.find((o) => o.podmanName === net.name);
    if (same) {
      const equal = same.subnets.map((s) => s.subnet).sort().join() === net.subnets.map((s) => s.subnet).sort().join();
      if (!equal) problems.push({ path: `networks/${net.name}`, message: `the seed's network ${net.name} has subnets ${net.subnets.map((s) => s.subnet).join(", ")}, micropod's network of that name needs ${same.subnets.map((s) => s.subnet).join(", ")}` });
      continue;
    }
    const hit = ours.find((o) => o.subnets.some((s) => net.subnets.some((t) => subnetsOverlap(s.subnet, t.subnet))));
    if (!hit) continue;
    const seedNames = new Set(seeds.map((c) => c.name));
    const others = readNames((await runner.run(containersOnNetwork(net.name))).stdout).filter((n) => !seedNames.has(n));
    if (others.length) {
      problems.push({ path: `networks/${net.name}`, message: `shares a subnet with micropod's network ${hit.podmanName} but other containers use it too (${others.join(", ")}): move them to another network first` });
      continue;
    }
    const connections = seeds.flatMap((c) =>
      c.networks.filter((n) => n.name === net.name).map((n) => ({ container: c.name, ...(n.ipv4 ? { ipv4: n.ipv4 } : {}), ...(n.ipv6 ? { ipv6: n.ipv6 } : {}), aliases: n.aliases })),
    );
    moves.push({ network: net, collidesWith: hit.podmanName, connections });
  }
  return { moves, problems };
}
