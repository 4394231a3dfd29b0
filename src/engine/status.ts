import { readFile } from "node:fs/promises";
import type { Clock } from "../core/clock.js";
import type { Runner } from "../core/runner.js";
import { inspectContainer, listContainers } from "../podman/container.js";
import { hasExited, readContainerInspect, readContainerList } from "../podman/readers.js";
import type { Suite } from "../suite/model.js";
import { type ReadinessRecord, readinessFile } from "./start.js";

export interface ServiceStatus {
  readonly service: string;
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

export async function suiteStatus(suite: Suite, runner: Runner, clock: Clock, stateDir: string): Promise<ServiceStatus[]> {
  const ps = readContainerList((await runner.run(listContainers())).stdout);
  const byName = new Map(ps.map((c) => [c.name, c]));
  const present = [...suite.services.values()].filter((s) => byName.has(s.containerName)).map((s) => s.containerName);
  const details = present.length ? readContainerInspect((await runner.run(inspectContainer(...present))).stdout) : [];
  const detail = new Map(details.map((d) => [d.name, d]));
  const record = await readFile(readinessFile(stateDir), "utf8")
    .then((t) => JSON.parse(t) as ReadinessRecord)
    .catch(() => undefined);
  return [...suite.services.values()].map((s) => {
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
  });
}

export function renderStatus(rows: readonly ServiceStatus[]): string {
  const fmtUp = (s?: number) => (s === undefined ? "-" : s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`);
  const table = [
    ["SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "IMAGE"],
    ...rows.map((r) => [r.service, r.exitCode !== undefined ? `${r.state} (${r.exitCode})` : r.state, r.health, fmtUp(r.uptimeSec), String(r.restarts), r.image]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}
