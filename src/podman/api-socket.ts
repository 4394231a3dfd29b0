import type { Command } from "../core/command.js";
import type { Context } from "../core/context.js";
import type { Redactor } from "../core/redact.js";
import type { RunOptions, RunResult, Runner } from "../core/runner.js";
import { podmanApiCall } from "./api-calls.js";
import { apiRequest } from "./api-client.js";
import { type PodmanPath, PodmanApiRunner } from "./api-runner.js";

/** Where micropod looks for podman's API socket; set empty to always fork the CLI. */
export const PODMAN_SOCKET_VARIABLE = "MICROPOD_PODMAN_SOCKET";

/**
 * The socket FreeBSD's `podman_service` rc script serves (freebsd-ports sysutils/podman,
 * files/podman_service.in: podman_service_api_rundir=/var/run/podman,
 * podman_service_api_socket=${rundir}/podman.sock; root:operator, mode 0770), which is also
 * rootful podman's default `podman system service` URL.
 */
export const DEFAULT_PODMAN_SOCKET = "/var/run/podman/podman.sock";

/** How long the start-up GET /_ping may take before micropod forks the CLI instead. */
export const PING_DEADLINE_MS = 1000;

/**
 * The socket to try, or why none: the variable when set (a path, or unix://path; empty disables),
 * else the rc script's socket, but only for root with podman's default configuration. The service
 * runs as root over root's storage, so for another user, or with CONTAINERS_CONF,
 * CONTAINERS_STORAGE_CONF or CONTAINER_HOST pointing the CLI elsewhere, the socket would be
 * another podman than the one the CLI talks to.
 */
export function podmanSocket(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): { path: string } | { why: string } {
  const set = env[PODMAN_SOCKET_VARIABLE];
  if (set !== undefined) return set === "" ? { why: `${PODMAN_SOCKET_VARIABLE} is empty` } : { path: set.replace(/^unix:\/\//, "") };
  if (uid !== 0) return { why: `not root: ${DEFAULT_PODMAN_SOCKET} is root's podman (set ${PODMAN_SOCKET_VARIABLE} to use a socket)` };
  const moved = ["CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINER_HOST"].filter((k) => env[k]);
  if (moved.length) return { why: `${moved.join(", ")} set: the CLI's podman may not be ${DEFAULT_PODMAN_SOCKET}'s (set ${PODMAN_SOCKET_VARIABLE} to use it anyway)` };
  return { path: DEFAULT_PODMAN_SOCKET };
}

/** Undefined when podman answers GET /_ping on the socket within the deadline, else why not. */
export async function pingPodmanSocket(socketPath: string, deadlineMs = PING_DEADLINE_MS): Promise<string | undefined> {
  try {
    const res = await apiRequest(socketPath, { method: "GET", path: "/_ping", signal: AbortSignal.timeout(deadlineMs) });
    return res.status === 200 ? undefined : `GET /_ping answered HTTP ${res.status}`;
  } catch (err) {
    const e = err as Error;
    return e.name === "TimeoutError" || e.name === "AbortError" ? `no answer to GET /_ping within ${deadlineMs} ms` : e.message;
  }
}

/**
 * The runner the verbs get: the CLI runner until a hot-path podman command comes, then, once,
 * the choice: the API runner over the socket when one answers the ping, else the CLI for good,
 * with a debug line saying which and why. Verbs that never run such a command never ping.
 */
export function podmanRunner(cli: Runner, opts: Pick<Context, "logger"> & { readonly redactor?: Redactor; readonly env?: NodeJS.ProcessEnv; readonly onPath?: (path: PodmanPath, c: Command) => void }): Runner {
  let chosen: Promise<Runner> | undefined;
  const choose = async (): Promise<Runner> => {
    const socket = podmanSocket(opts.env);
    const why = "path" in socket ? await pingPodmanSocket(socket.path) : socket.why;
    if (why !== undefined || !("path" in socket)) {
      opts.logger.debug(`podman: forking the CLI per command, not using the API socket (${why})`);
      return { run: (c, o) => (opts.onPath?.("cli", c), cli.run(c, o)) };
    }
    opts.logger.debug(`podman: start, stop, ps, inspect, exec and what a start observes go over the API socket ${socket.path}`);
    return new PodmanApiRunner(cli, socket.path, { ...(opts.redactor ? { redactor: opts.redactor } : {}), ...(opts.onPath ? { onPath: opts.onPath } : {}) });
  };
  return {
    async run(c: Command, runOpts?: RunOptions): Promise<RunResult> {
      if (!chosen && !podmanApiCall(c)) return cli.run(c, runOpts);
      chosen ??= choose();
      return (await chosen).run(c, runOpts);
    },
  };
}
