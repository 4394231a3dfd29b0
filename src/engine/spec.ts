import { dirname } from "node:path";
import type { ContainerMount, ContainerSecret, ContainerSpec } from "../podman/container.js";
import type { Service, Suite } from "../suite/model.js";

/** The labels podman-compose puts on a container, so `podman compose ps` and label filters see the suite. */
export function composeLabels(suite: Suite, service: Service): Record<string, string> {
  return {
    "com.docker.compose.project": suite.project,
    "com.docker.compose.project.working_dir": dirname(suite.file),
    "com.docker.compose.project.config_files": suite.file,
    "com.docker.compose.service": service.name,
    "com.docker.compose.container-number": "1",
    "com.docker.compose.oneoff": "False",
    "io.podman.compose.project": suite.project,
    "io.podman.compose.version": "micropod",
  };
}

/** The label selecting every container of a suite. */
export const projectFilter = (suite: Suite): Record<string, string> => ({ "com.docker.compose.project": suite.project });

/** The podman secret name for a top-level `secrets:` key, as podman-compose names it. */
/** Compose's stop_grace_period in podman's whole seconds: the container's --stop-timeout and `stop --time`. */
export const stopTimeoutSec = (service: Service): number | undefined =>
  service.stopGracePeriodMs !== undefined ? Math.ceil(service.stopGracePeriodMs / 1000) : undefined;

export const podmanSecretName = (suite: Suite, source: string): string => `${suite.project}_${source}`;

/** The podman network name for a service's `networks:` key. */
function podmanNetworkName(suite: Suite, key: string): string {
  return suite.networks.get(key)?.podmanName ?? key;
}

/** Compose `network_mode: service:x` means "share x's network namespace": podman calls it container:NAME. */
function networkMode(suite: Suite, mode: string | undefined): string | undefined {
  if (!mode) return undefined;
  const m = /^service:(.+)$/.exec(mode);
  if (!m) return mode;
  return `container:${suite.services.get(m[1]!)?.containerName ?? m[1]}`;
}

function volumeName(suite: Suite, source: string): string {
  const v = suite.volumes.get(source);
  if (!v) return source;
  return v.external ? v.name : v.name || `${suite.project}_${source}`;
}

/** A service as podman create sees it, without the definition-hash label (added by the planner). */
export function containerSpec(suite: Suite, service: Service): ContainerSpec {
  const volumes: ContainerMount[] = service.volumes.map((v) =>
    v.type === "volume" && v.source ? { ...v, source: volumeName(suite, v.source) } : { ...v },
  );
  const secrets: ContainerSecret[] = service.secrets.map((s) => ({ name: podmanSecretName(suite, s.source), type: s.type, target: s.target }));
  const mode = networkMode(suite, service.networkMode);
  return {
    name: service.containerName,
    image: service.image,
    labels: { ...service.labels, ...composeLabels(suite, service) },
    annotations: service.annotations,
    ...(mode
      ? { networkMode: mode }
      : {
          networks: service.networks.map((n) => ({
            name: podmanNetworkName(suite, n.name),
            ...(n.ipv4Address ? { ipv4: n.ipv4Address } : {}),
            ...(n.ipv6Address ? { ipv6: n.ipv6Address } : {}),
            aliases: n.aliases,
          })),
        }),
    volumes,
    ports: service.ports,
    extraHosts: service.extraHosts,
    env: service.environment,
    secrets,
    ...(service.restart ? { restart: service.restart } : {}),
    ...(service.ulimits && Object.keys(service.ulimits).length ? { ulimits: service.ulimits } : {}),
    ...(stopTimeoutSec(service) !== undefined ? { stopTimeoutSec: stopTimeoutSec(service) } : {}),
    ...(service.stopSignal ? { stopSignal: service.stopSignal } : {}),
    ...(service.logging?.driver ? { logDriver: service.logging.driver } : {}),
    ...(service.logging ? { logOptions: service.logging.options } : {}),
    ...(service.user ? { user: service.user } : {}),
    ...(service.workingDir ? { workdir: service.workingDir } : {}),
    ...(service.hostname ? { hostname: service.hostname } : {}),
    ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
    ...(service.command ? { command: service.command } : {}),
  };
}
