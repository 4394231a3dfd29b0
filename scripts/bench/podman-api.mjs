// podman's CLI against its REST API (issue 12: "consider talking to podman's REST API over its
// socket ... measure both and keep the faster"). One sandbox, one `podman system service` over the
// same storage; the same calls made by forking the CLI (as micropod does) and by one HTTP request
// from this process over the unix socket (libpod API v4: POST /containers/{name}/start, POST
// /containers/{name}/stop?timeout=N, GET /containers/json?all=true; checked against
// containers/podman pkg/api/server/register_containers.go). Each figure is the median of REPS.
import { execFile } from "node:child_process";
import { request } from "node:http";
import { promisify } from "node:util";
import { podmanSandbox, podmanService } from "./_podman-sandbox.mjs";
import { machine } from "./_suites.mjs";

export const title = "podman: the CLI forked per call against one REST request over the service socket";

const REPS = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cli = promisify(execFile);

function api(socketPath, method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: `/v4.0.0/libpod${path}`, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => (res.statusCode < 300 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${Buffer.concat(chunks)}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on("error", reject);
    req.end();
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function run(report) {
  report("machine", machine());
  const sb = podmanSandbox();
  let service;
  try {
    service = await podmanService(sb);
    const socket = service.socket;
    const names = Array.from({ length: 2 * REPS }, (_, i) => `api-${i}`);
    for (const n of names) {
      await cli("podman", ["create", "--name", n, "--network", "none", sb.image, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 60 & wait $!; done"]);
    }
    const viaCli = names.slice(0, REPS);
    const rest = names.slice(REPS);
    const start = { cli: [], rest: [] };
    const stop = { cli: [], rest: [] };
    const ps = { cli: [], rest: [] };
    for (let i = 0; i < REPS; i++) {
      start.cli.push(await timed(() => cli("podman", ["start", viaCli[i]])));
      start.rest.push(await timed(() => api(socket, "POST", `/containers/${rest[i]}/start`)));
      ps.cli.push(await timed(() => cli("podman", ["ps", "--all", "--format", "json"])));
      ps.rest.push(await timed(() => api(socket, "GET", "/containers/json?all=true")));
    }
    await sleep(500); // every shell has set its trap
    for (let i = 0; i < REPS; i++) {
      stop.cli.push(await timed(() => cli("podman", ["stop", "--time", "5", viaCli[i]])));
      stop.rest.push(await timed(() => api(socket, "POST", `/containers/${rest[i]}/stop?timeout=5`)));
    }
    for (const [label, m] of [["start", start], ["stop (exits at once on SIGTERM)", stop], ["ps --all", ps]]) {
      const c = median(m.cli);
      const r = median(m.rest);
      report(`   ${label}`, `CLI ${c.toFixed(0)} ms, REST ${r.toFixed(0)} ms: the API takes ${(r / c).toFixed(2)}x the CLI's time`);
    }
  } finally {
    await service?.stop();
    sb.cleanup();
  }
}
