import { isIP } from "node:net";
import { signalMismatchOnFreeBSD } from "../podman/signals.js";
import { type DependencyGraph, dependencyGraph } from "./graph.js";
import { isPullableReference } from "./images.js";
import { sidekiqProcessOf } from "./sidekiq.js";
import type { Report } from "./normalise.js";
import type { Network, SecretSource, Service } from "./model.js";

/**
 * What the Compose schema cannot check: references between services, cycles, images nobody
 * builds, addresses used twice, a second Sidekiq scheduler. Each check reports every problem it
 * finds with the path of the offending value.
 */
export interface SuiteParts {
  readonly services: ReadonlyMap<string, Service>;
  readonly networks: ReadonlyMap<string, Network>;
  readonly volumes: ReadonlyMap<string, { readonly name: string; readonly external: boolean }>;
  readonly secrets: ReadonlyMap<string, SecretSource>;
}

export function checkSuite(parts: SuiteParts, report: Report): void {
  const graph = dependencyGraph(parts);
  checkDependsOn(parts.services, report);
  for (const cycle of graph.cycles()) {
    report(`services/${cycle[0]}/depends_on/${cycle[1]}`, `dependency cycle: ${cycle.join(" -> ")}`);
  }
  checkImages(parts.services, graph, report);
  checkReferences(parts, report);
  checkAddresses(parts.services, report);
  checkContainerNames(parts.services, report);
  checkScheduler(parts.services, report);
  checkStopSignals(parts.services, report);
}

function checkDependsOn(services: ReadonlyMap<string, Service>, report: Report): void {
  for (const s of services.values()) {
    for (const d of s.dependsOn) {
      const at = `services/${s.name}/depends_on/${d.service}`;
      const target = services.get(d.service);
      if (!target) report(at, `unknown service ${JSON.stringify(d.service)}`);
      else if (d.service === s.name) continue; // reported as a cycle
      else if (target.buildOnly) {
        report(at, `${d.service} is build-only and never runs: use its image instead (every image is built before any container is created)`);
      }
    }
    if (s.buildOnly && s.dependsOn.length > 0) report(`services/${s.name}/depends_on`, "a build-only service never runs, so it cannot wait for others");
  }
}

function checkImages(services: ReadonlyMap<string, Service>, graph: DependencyGraph, report: Report): void {
  for (const s of services.values()) {
    if (graph.imageBuilder(s.name) !== undefined) continue;
    if (!isPullableReference(s.image)) {
      report(
        `services/${s.name}/image`,
        `no service builds ${JSON.stringify(s.image)} and it is not a registry reference podman can pull (give it a build: or use a full name such as docker.io/library/redis:7)`,
      );
    }
  }
}

function checkReferences(parts: SuiteParts, report: Report): void {
  for (const s of parts.services.values()) {
    const at = `services/${s.name}`;
    for (const n of s.networks) {
      if (!parts.networks.has(n.name)) report(`${at}/networks/${n.name}`, `unknown network ${JSON.stringify(n.name)} (declare it under the top-level networks:)`);
    }
    s.volumes.forEach((v, i) => {
      if (v.type === "volume" && v.source !== undefined && !parts.volumes.has(v.source)) {
        report(`${at}/volumes/${i}`, `unknown volume ${JSON.stringify(v.source)} (declare it under the top-level volumes:, or start a bind mount's source with / or ./)`);
      }
    });
    const env = new Set(Object.keys(s.environment));
    s.secrets.forEach((sec, i) => {
      if (!parts.secrets.has(sec.source)) report(`${at}/secrets/${i}`, `unknown secret ${JSON.stringify(sec.source)} (declare it under the top-level secrets:)`);
      if (sec.type === "env" && env.has(sec.target)) {
        report(`${at}/environment/${sec.target}`, `${sec.target} is also an env secret: a secret's variable must not appear in environment`);
      }
    });
  }
}

function checkAddresses(services: ReadonlyMap<string, Service>, report: Report): void {
  const owners = new Map<string, string>();
  for (const s of services.values()) {
    for (const n of s.networks) {
      const pairs: Array<[string, string | undefined, 4 | 6]> = [
        ["ipv4_address", n.ipv4Address, 4],
        ["ipv6_address", n.ipv6Address, 6],
      ];
      for (const [field, address, family] of pairs) {
        if (address === undefined) continue;
        const at = `services/${s.name}/networks/${n.name}/${field}`;
        if (isIP(address) !== family) {
          report(at, `${JSON.stringify(address)} is not an IPv${family} address`);
          continue;
        }
        const key = `${n.name}\u0000${canonicalAddress(address)}`;
        const other = owners.get(key);
        if (other) report(at, `address ${address} on network ${n.name} is already used by ${other}`);
        else owners.set(key, s.name);
      }
    }
  }
}

/** `fd00:10:89:0::10` and `fd00:10:89::10` are one address. */
export function canonicalAddress(address: string): string {
  return address.includes(":") ? new URL(`http://[${address}]/`).hostname : address;
}

function checkContainerNames(services: ReadonlyMap<string, Service>, report: Report): void {
  const owners = new Map<string, string>();
  for (const s of services.values()) {
    if (s.buildOnly) continue;
    const other = owners.get(s.containerName);
    if (other) report(`services/${s.name}/container_name`, `container name ${s.containerName} is already used by ${other}`);
    else owners.set(s.containerName, s.name);
  }
}

/** Sidekiq's scheduler queue runs Mastodon's periodic jobs: two consumers run them twice. */
function checkScheduler(services: ReadonlyMap<string, Service>, report: Report): void {
  const schedulers: string[] = [];
  for (const s of services.values()) {
    let proc;
    try {
      proc = sidekiqProcessOf(s);
    } catch (e) {
      report(`services/${s.name}/command`, (e as Error).message);
      continue;
    }
    if (proc?.queues.includes("scheduler")) schedulers.push(s.name);
  }
  if (schedulers.length > 1) {
    for (const name of schedulers.slice(1)) {
      report(`services/${name}/command`, `the scheduler queue is served by more than one container (${schedulers.join(", ")}): exactly one may run it`);
    }
  }
}

/** A stop_signal podman would deliver as another signal on FreeBSD (podman/signals.ts). */
function checkStopSignals(services: ReadonlyMap<string, Service>, report: Report): void {
  for (const s of services.values()) {
    const why = s.stopSignal === undefined ? undefined : signalMismatchOnFreeBSD(s.stopSignal);
    if (why) report(`services/${s.name}/stop_signal`, why);
  }
}
