// Synthetic suites of busybox services for the benchmarks, built as the engine's Suite model
// directly (no compose file), and a one-line description of the machine a run measured.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";

export function busybox(project, image, name, over) {
  return {
    name,
    image,
    buildOnly: false,
    containerName: `${project}-${name}`,
    environment: {},
    secrets: [],
    dependsOn: [],
    stopGracePeriodMs: 5000,
    annotations: {},
    labels: {},
    networks: [],
    networkMode: "none",
    volumes: [],
    ports: [],
    extraHosts: [],
    extensions: {},
    ...over,
  };
}

export const suiteOf = (project, root, services) => ({ project, file: join(root, project, "compose.yaml"), services: new Map(services.map((s) => [s.name, s])), networks: new Map(), volumes: new Map(), secrets: new Map() });

/** A suite from a delay graph; `chain` runs the services one after another instead. */
export function delaySuite(project, image, root, graph, chain = false) {
  const names = Object.keys(graph);
  return suiteOf(
    project,
    root,
    names.map((n, idx) => {
      const [delay, deps] = graph[n];
      const after = chain ? (idx ? [names[idx - 1]] : []) : deps;
      return busybox(project, image, n, {
        // Ready `delay` seconds after start; exits at once on SIGTERM.
        command: ["sh", "-c", `trap 'exit 0' TERM; sleep ${delay}; touch /tmp/ready; while :; do sleep 60 & wait $!; done`],
        dependsOn: after.map((s) => ({ service: s, condition: "service_healthy", required: true })),
        healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], intervalMs: 5000, timeoutMs: 3000, retries: 3, startPeriodMs: (delay + 10) * 1000, startIntervalMs: 1000 },
      });
    }),
  );
}

export function machine() {
  const os = readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? "unknown OS";
  const podman = execFileSync("podman", ["--version"], { encoding: "utf8" }).trim();
  return `${availableParallelism()} cores, ${os}, ${podman}, load average ${loadavg()[0].toFixed(1)} at the start`;
}

