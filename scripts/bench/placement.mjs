// Placement benchmark (issue 18): what a dependency hop costs when the service waited on runs on
// another host. Two "hosts" on this machine, as in test/podman/placement.test.ts: two `podman
// system service`s, each over its own sandbox, reached by unix socket URLs as a remote host is by
// ssh (over ssh the network's round trips come on top of what is measured here). In one run, a
// chain of services each ready DELAY s after it starts and each waiting for the one before it to
// be healthy, started three ways:
//   local CLI    every service on the local podman, the CLI forked per call (the one-host suite);
//   one host     every service on host one, through its podman service (--url);
//   across hosts the services alternate between host one and host two, so every hop crosses.
// Overhead per hop = (makespan − the chain's summed delays) ÷ hops.
import { join } from "node:path";
import { podmanSandbox, podmanService } from "./_podman-sandbox.mjs";
import { delaySuite, machine } from "./_suites.mjs";

export const title = "placement: a dependency hop across two podman services";

const DELAY = 1;
const CHAIN = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i}`, [DELAY, i ? [`s${i - 1}`] : []]]));
export async function run(report) {
  const { startSuite, stopSuite } = await import("../../dist/engine/start.js");
  const { ExecaRunner } = await import("../../dist/core/runner.js");
  const { systemClock } = await import("../../dist/core/clock.js");
  const { silentLogger } = await import("../../dist/core/logger.js");
  report("machine", machine());
  const local = podmanSandbox();
  const one = podmanSandbox({ exportEnv: false });
  const two = podmanSandbox({ exportEnv: false });
  const services = [];
  try {
    services.push(await podmanService(one), await podmanService(two));
    const [hostOne, hostTwo] = services;
    const deps = { runner: new ExecaRunner(), clock: systemClock, logger: silentLogger(), signal: new AbortController().signal };
    const paths = (p) => ({ lock: join(local.root, p, "micropod.lock"), state: join(local.root, p, "state"), logs: join(local.root, p, "logs") });
    const config = { vars: {}, secretNames: new Set() };
    const hosts = new Map([
      ["local", { name: "local" }],
      ["one", { name: "one", url: `unix://${hostOne.socket}` }],
      ["two", { name: "two", url: `unix://${hostTwo.socket}` }],
    ]);
    /** The chain with each service placed by `hostOf(index)`; no placement: the one-host suite. */
    const placed = (project, hostOf) => {
      const s = delaySuite(project, local.image, local.root, CHAIN);
      if (!hostOf) return s;
      const list = [...s.services.values()].map((svc, i) => ({ ...svc, extensions: { host: hostOf(i) } }));
      return { ...s, services: new Map(list.map((x) => [x.name, x])), hosts };
    };
    const sum = Object.values(CHAIN).reduce((t, [d]) => t + d, 0);
    const hops = Object.keys(CHAIN).length;
    const measure = async (label, suite) => {
      const t0 = performance.now();
      await startSuite(suite, config, paths(suite.project), deps, { jobs: 2, wait: true });
      const s = (performance.now() - t0) / 1000;
      await stopSuite(suite, paths(suite.project), deps, { timeoutSec: 0 });
      const perHop = ((s - sum) / hops) * 1000;
      report(label, `${s.toFixed(2)} s, ${perHop.toFixed(0)} ms per hop`);
      return perHop;
    };
    report("chain", `${hops} services, each ready ${DELAY} s after its start (sum ${sum} s)`);
    const cli = await measure("   local CLI (one host, no URL)", placed("cli"));
    const viaService = await measure("   one host through its podman service", placed("svc", () => "one"));
    const across = await measure("   across hosts (every hop crosses)", placed("across", (i) => (i % 2 ? "two" : "one")));
    report("   cross-host hop ÷ same-host hop (services)", `${(across / viaService).toFixed(2)}x`);
    report("   cross-host hop − local CLI hop", `${(across - cli).toFixed(0)} ms`);
  } finally {
    for (const s of services) await s.stop();
    for (const sb of [one, two, local]) sb.cleanup();
  }
}
