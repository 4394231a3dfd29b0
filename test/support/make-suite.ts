import type { Dependency, Healthcheck, Network, SecretSource, Service, Suite } from "../../src/suite/model.js";

/** Build Suite values directly (the suite loader's output shape), with Compose's defaults filled in. */
export function service(name: string, over: Partial<Service> & { project?: string } = {}): Service {
  const { project = "demo", ...rest } = over;
  return {
    name,
    image: `localhost/${project}/${name}`,
    buildOnly: false,
    containerName: `${project}-${name}`,
    environment: {},
    secrets: [],
    dependsOn: [],
    annotations: {},
    labels: {},
    networks: [],
    volumes: [],
    ports: [],
    extraHosts: [],
    extensions: {},
    ...rest,
  };
}

export const dep = (service: string, condition: Dependency["condition"] = "service_started"): Dependency => ({ service, condition, required: true });

export const health = (test: string[], over: Partial<Healthcheck> = {}): Healthcheck => ({
  test,
  intervalMs: 1000,
  timeoutMs: 1000,
  retries: 3,
  startPeriodMs: 0,
  startIntervalMs: 0,
  ...over,
});

export function suite(
  services: Service[],
  over: { project?: string; file?: string; networks?: Network[]; secrets?: SecretSource[] } = {},
): Suite {
  return {
    project: over.project ?? "demo",
    file: over.file ?? "/suite/compose.yaml",
    services: new Map(services.map((s) => [s.name, s])),
    networks: new Map((over.networks ?? []).map((n) => [n.name, n])),
    volumes: new Map(),
    secrets: new Map((over.secrets ?? []).map((s) => [s.name, s])),
  };
}
