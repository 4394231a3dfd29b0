import { readFile } from "node:fs/promises";
import type { Clock } from "../core/clock.js";
import type { Runner } from "../core/runner.js";
import { inspectContainer, listContainers } from "../podman/container.js";
import { connectedRunner } from "../podman/connection.js";
import { type ContainerDetails, type ContainerSummary, hasExited, readContainerInspect, readContainerList } from "../podman/readers.js";
import type { Service, Suite } from "../suite/model.js";
import { LOCAL_HOST, hostUrl, hostsInUse, serviceHost } from "../suite/placement.js";
import { type ReadinessRecord, readinessFile } from "./start.js";

export interface ServiceStatus {
  readonly service: string;
  /** The host it runs on, for a suite placed on several (suite/placement.ts). */
  readonly host?: string;
  readonly container: string;
  /** podman's state, "absent" when there is no container, "build-only" for template images. */
  readonly state: string;
  /** As last checked by micropod's start (or podman's own healthcheck where it runs one). */
  readonly health: string;
  readonly uptimeSec?: number;
  readonly exitCode?: number;
  readonly image: string;
  readonly restarts: number;
}

/** Each host's containers of the suite, as `podman ps` and `inspect` on that host show them. */
async function containersOnHosts(suite: Suite, runner: Runner): Promise<{ byName: Map<string, ContainerSummary>; detail: Map<string, ContainerDetails> }> {
  const byName = new Map<string, ContainerSummary>();
  const detail = new Map<string, ContainerDetails>();
  const hosts = suite.hosts ? hostsInUse(suite) : [LOCAL_HOST];
  await Promise.all(
    hosts.map(async (h) => {
      const on = connectedRunner(runner, hostUrl(suite, h));
      const mine = new Set([...suite.services.values()].filter((s) => serviceHost(s) === h || !suite.hosts).map((s) => s.containerName));
      const ps = readContainerList((await on.run(listContainers())).stdout).filter((c) => mine.has(c.name));
      for (const c of ps) byName.set(c.name, c);
      const present = ps.map((c) => c.name);
      const details = present.length ? readContainerInspect((await on.run(inspectContainer(...present))).stdout) : [];
      for (const d of details) detail.set(d.name, d);
    }),
  );
  return { byName, detail };
}

export async function suiteStatus(suite: Suite, runner: Runner, clock: Clock, stateDir: string): Promise<ServiceStatus[]> {
  const { byName, detail } = await containersOnHosts(suite, runner);
  const record = await readFile(readinessFile(stateDir), "utf8")
    .then((t) => JSON.parse(t) as ReadinessRecord)
    .catch(() => undefined);
  return [...suite.services.values()].map((s) => ({ ...(suite.hosts && !s.buildOnly ? { host: serviceHost(s) } : {}), ...statusOf(s) }));

  function statusOf(s: Service): ServiceStatus {
    const c = byName.get(s.containerName);
    const d = detail.get(s.containerName);
    if (s.buildOnly) return { service: s.name, container: "-", state: "build-only", health: "-", image: s.image, restarts: 0 };
    if (!c) return { service: s.name, container: s.containerName, state: "absent", health: "-", image: s.image, restarts: 0 };
    const last = record?.services[s.name];
    const health = d?.health || (last ? `${last.health} (${last.at})` : "-");
    const started = d?.startedAt ? Date.parse(d.startedAt) : c.startedAt ? c.startedAt * 1000 : undefined;
    return {
      service: s.name,
      container: s.containerName,
      // "stopped" is podman's word for exited and not yet cleaned up: to a reader, exited.
      state: hasExited(c.state) ? "exited" : c.state,
      health,
      ...(c.state === "running" && started ? { uptimeSec: Math.max(0, Math.round((clock.now() - started) / 1000)) } : {}),
      ...(hasExited(c.state) ? { exitCode: c.exitCode } : {}),
      image: c.image,
      restarts: d?.restartCount ?? 0,
    };
  }
}

export function renderStatus(rows: readonly ServiceStatus[]): string {
  const fmtUp = (s?: number) => (s === undefined ? "-" : s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`);
  // The HOST column only for a suite placed on several hosts: one host's table stays as it was.
  const hosts = rows.some((r) => r.host !== undefined);
  const table = [
    [...(hosts ? ["HOST"] : []), "SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "IMAGE"],
    ...rows.map((r) => [
      ...(hosts ? [r.host ?? "-"] : []),
      r.service,
      r.exitCode !== undefined ? `${r.state} (${r.exitCode})` : r.state,
      r.health,
      fmtUp(r.uptimeSec),
      String(r.restarts),
      r.image,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}
