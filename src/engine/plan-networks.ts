import type { Command } from "../core/command.js";
import { createNetwork } from "../podman/network.js";
import { serviceHost } from "../suite/placement.js";
import { commandOn, observedOn } from "./placement.js";
import type { Planning } from "./planning.js";

export interface NetworkStep {
  readonly name: string;
  /** The host whose podman lacks it (suite/placement.ts; `local` on one host). */
  readonly host: string;
  readonly command: Command;
}

/** The networks the selected services use that podman lacks; an external one is only warned about. */
export function planNetworks(at: Planning): { steps: NetworkStep[]; warnings: string[] } {
  const steps: NetworkStep[] = [];
  const warnings: string[] = [];
  for (const s of at.runnable) {
    if (s.networkMode) continue;
    const host = serviceHost(s);
    for (const sn of s.networks) {
      const n = at.suite.networks.get(sn.name);
      const podmanName = n?.podmanName ?? sn.name;
      if (observedOn(at.observed, host).networks.includes(podmanName) || steps.some((x) => x.name === podmanName && x.host === host)) continue;
      if (n?.external) {
        warnings.push(`network ${podmanName} is external and does not exist: create it before start`);
        continue;
      }
      steps.push({
        name: podmanName,
        host,
        command: commandOn(at.suite, host, createNetwork({
          name: podmanName,
          ...(n?.driver ? { driver: n.driver } : {}),
          ...(n?.driverOptions ? { options: n.driverOptions } : {}),
          ipv6: n?.ipv6 ?? false,
          subnets: n?.subnets ?? [],
          labels: { "com.docker.compose.project": at.suite.project, "io.podman.compose.project": at.suite.project },
        })),
      });
    }
  }
  return { steps, warnings };
}
