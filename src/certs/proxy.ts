import { constants } from "node:os";
import type { Runner } from "../core/runner.js";
import { runningServices } from "../ops/running.js";
import { execInContainer, signalContainer } from "../podman/container.js";
import type { Suite } from "../suite/model.js";

/**
 * What a new certificate needs from the proxy: re-render its configuration (the first
 * certificate turns on the 443 listeners), check it, and reload it without dropping a
 * connection. The bundled haproxy image runs `haproxy -W -db` (master-worker, foreground): on
 * SIGUSR2 the master re-executes itself, parses the configuration again and starts new workers,
 * the old ones stop listening and finish the connections they hold (HAProxy management guide,
 * section 4 "Stopping and restarting HAProxy"; `-W` in section 3). The master keeps root, so it
 * reads the 0600 certificate; the workers drop to www.
 */
export interface CertificateProxy {
  /** A proxy that is not running loads the certificate when it starts: nothing to reload. */
  running(): Promise<boolean>;
  /** Re-render the configuration with the certificates now on disk and check it (`haproxy -c`). */
  reconfigure(): Promise<void>;
  /** Reload: new workers with the new configuration, connections in flight kept. */
  reload(): Promise<void>;
}

/** The image's configure script and configuration file (containerfiles/haproxy). */
export const HAPROXY_CONFIGURE = "/usr/local/libexec/micropod/micropod-configure";
export const HAPROXY_CFG = "/usr/local/etc/haproxy/haproxy.cfg";

/** The commands, in order, that reconfigure and reload the proxy container. */
export function reconfigureCommands(container: string) {
  // `podman exec` runs with the container's own environment (libpod prepareProcessExec copies
  // the container's process spec, Env included), so the script renders what the entrypoint did.
  return [execInContainer(container, [HAPROXY_CONFIGURE]), execInContainer(container, ["haproxy", "-c", "-q", "-f", HAPROXY_CFG])];
}

export const reloadCommand = (container: string) => signalContainer(container, constants.signals.SIGUSR2);

export class PodmanProxy implements CertificateProxy {
  constructor(
    private readonly runner: Runner,
    private readonly suite: Suite,
    private readonly proxy: { readonly service: string; readonly container: string },
  ) {}

  async running(): Promise<boolean> {
    return (await runningServices(this.runner, this.suite, [this.proxy.service])).length > 0;
  }

  async reconfigure(): Promise<void> {
    for (const c of reconfigureCommands(this.proxy.container)) await this.runner.run(c, { timeoutMs: 60_000 });
  }

  async reload(): Promise<void> {
    await this.runner.run(reloadCommand(this.proxy.container), { timeoutMs: 30_000 });
  }
}
