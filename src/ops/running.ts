import type { Runner } from "../core/runner.js";
import { PrerequisiteError } from "../core/errors.js";
import { connectedRunner } from "../podman/connection.js";
import { runningContainerNames } from "../podman/container.js";
import { hostOf, hostUrl } from "../suite/placement.js";
import { readNames } from "../podman/readers.js";
import type { Suite } from "../suite/model.js";
import { serviceOf } from "./services.js";

/** Names of the suite's services whose containers are running now. */
export async function runningServices(runner: Runner, suite: Suite, among?: readonly string[]): Promise<string[]> {
  const running = new Set(readNames((await runner.run(runningContainerNames())).stdout));
  const names = among ?? [...suite.services.keys()];
  return names.filter((n) => running.has(serviceOf(suite, n).containerName));
}

/** A task that execs into a service needs it up; say how to get there instead of podman's error. */
export async function requireRunning(runner: Runner, suite: Suite, service: string): Promise<string> {
  const container = serviceOf(suite, service).containerName;
  // Asked of the podman of the service's host (suite/placement.ts).
  if ((await runningServices(connectedRunner(runner, hostUrl(suite, hostOf(suite, service))), suite, [service])).length === 0) {
    throw new PrerequisiteError(`service ${service} (container ${container}) is not running`, "micropod start");
  }
  return container;
}
