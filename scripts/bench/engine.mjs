// Engine benchmark (issue 3): a synthetic 12-service suite whose services become ready after
// known delays, started by the engine on real podman (an isolated sandbox).
//  (a) makespan of `start --wait` (every service ready) vs the critical path of the readiness
//      delays: the lower bound no scheduler can beat
//  (b) vs a sequential staggered start (each service after the previous is ready, as a start script does)
//  (c) a second start with nothing to do (plain `start`, as an administrator runs it)
//  (d) stop
// Every dependency hop also costs a `podman start` and a `podman exec` probe; on a small host
// that fixed cost is a large share of a 2-second delay and a small one of a 20-second one, so the
// delays are scaled by BENCH_DELAY_SCALE (default 3: 6 to 12 s, the order of a real suite's
// postgresql, maintaindb and web) and the absolute overhead per hop is printed beside the ratio.
import { join } from "node:path";
import { podmanSandbox } from "./_podman-sandbox.mjs";

export const title = "engine: start/stop of a 12-service synthetic suite on real podman";

const scale = Number(process.env.BENCH_DELAY_SCALE ?? 3);

// service: [readiness delay in seconds (before scaling), dependencies (each waits for service_healthy)]
const graph = {
  a: [3, []],
  b: [4, ["a"]],
  c: [2, ["a"]],
  d: [3, ["a"]],
  e: [2, ["b"]],
  f: [3, ["c"]],
  g: [2, ["c", "d"]],
  h: [3, ["e"]],
  i: [4, ["f", "g"]],
  j: [2, ["d"]],
  k: [3, ["h", "i"]],
  l: [2, ["j"]],
};
const delay = (n) => graph[n][0] * scale;

function makeSuite(project, image, root, chain) {
  const names = Object.keys(graph);
  const services = names.map((n, idx) => {
    const [, deps] = graph[n];
    const after = chain ? (idx ? [names[idx - 1]] : []) : deps;
    return {
      name: n,
      image,
      buildOnly: false,
      containerName: `${project}-${n}`,
      // Ready `delay` seconds after start; exits at once on SIGTERM so stop measures the engine.
      command: ["sh", "-c", `trap 'exit 0' TERM; sleep ${delay(n)}; touch /tmp/ready; while :; do sleep 60 & wait $!; done`],
      environment: {},
      secrets: [],
      dependsOn: after.map((s) => ({ service: s, condition: "service_healthy", required: true })),
      healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], intervalMs: 250, timeoutMs: 2000, retries: 3, startPeriodMs: (delay(n) + 2) * 1000, startIntervalMs: 250 },
      stopGracePeriodMs: 5000,
      annotations: {},
      labels: {},
      networks: [],
      networkMode: "none",
      volumes: [],
      ports: [],
      extraHosts: [],
      extensions: {},
    };
  });
  return { project, file: join(root, project, "compose.yaml"), services: new Map(services.map((s) => [s.name, s])), networks: new Map(), volumes: new Map(), secrets: new Map() };
}

export async function run(report) {
  const { startSuite, stopSuite } = await import("../../dist/engine/start.js");
  const { dependencyGraph } = await import("../../dist/suite/graph.js");
  const { ExecaRunner } = await import("../../dist/core/runner.js");
  const { systemClock } = await import("../../dist/core/clock.js");
  const { silentLogger } = await import("../../dist/core/logger.js");
  const sb = podmanSandbox();
  try {
    const deps = { runner: new ExecaRunner(), clock: systemClock, logger: silentLogger(), signal: new AbortController().signal };
    const paths = (p) => ({ lock: join(sb.root, p, "micropod.lock"), state: join(sb.root, p, "state"), logs: join(sb.root, p, "logs") });
    const config = { vars: {}, secretNames: new Set() };
    const timed = async (fn) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };
    const suite = makeSuite("bench", sb.image, sb.root, false);
    const sequential = makeSuite("seq", sb.image, sb.root, true);
    const cp = dependencyGraph(suite).criticalPath((n) => delay(n) * 1000);
    const lowerBound = cp.totalMs / 1000;

    const start = await timed(() => startSuite(suite, config, paths("bench"), deps, { jobs: 2, wait: true }));
    const again = await timed(() => startSuite(suite, config, paths("bench"), deps, { jobs: 2 }));
    const stop = await timed(() => stopSuite(suite, paths("bench"), deps));
    const seq = await timed(() => startSuite(sequential, config, paths("seq"), deps, { jobs: 2, wait: true }));
    await stopSuite(sequential, paths("seq"), deps);

    const f = (s) => `${s.toFixed(2)} s`;
    report("services", String(suite.services.size));
    report("readiness delays", `${Math.min(...Object.keys(graph).map(delay))} to ${Math.max(...Object.keys(graph).map(delay))} s (BENCH_DELAY_SCALE=${scale})`);
    report("critical path (lower bound)", `${f(lowerBound)}: ${cp.path.join(" -> ")}`);
    report("sum of readiness delays", f(Object.keys(graph).reduce((t, n) => t + delay(n), 0)));
    report("(a) start --wait makespan", `${f(start)} = ${(start / lowerBound).toFixed(2)}x critical path`, { ok: start / lowerBound <= 1.15, text: "<= 1.15x" });
    report("    overhead per hop on the critical path", `${(((start - lowerBound) / cp.path.length) * 1000).toFixed(0)} ms (podman start + probe latency)`);
    report("(b) sequential staggered start", `${f(seq)} = ${(seq / start).toFixed(2)}x slower than micropod start`, { ok: seq / start >= 2, text: ">= 2x" });
    report("(c) second start, nothing to do", f(again), { ok: again < 2, text: "< 2 s" });
    report("(d) stop", f(stop));
  } finally {
    sb.cleanup();
  }
}
