import { isIP } from "node:net";
import type { Report } from "./normalise.js";
import type { CrossHostLink, Service, Suite, SuiteHost } from "./model.js";

export type { CrossHostLink, SuiteHost };

/**
 * Placement: which host runs each service. The compose file's top-level `x-micropod: hosts:`
 * names the hosts (each a podman connection URL and the host's private address) and a service's
 * `x-micropod: {host: NAME}` places it; a service that names none runs on `local`, the podman
 * micropod itself runs, which needs no URL. A suite without `hosts:` is the one-host suite of
 * old, unchanged. Services on other hosts reach each other on ports published on the serving
 * host's private address: `crossHostLinks` finds them, `placeSuite` rewrites the clients'
 * environment and publishes the ports, `host/placement-pf.ts` admits only those peers.
 */
export const LOCAL_HOST = "local";

/**
 * The URL forms podman's `--url` takes (containers/podman docs/source/markdown/podman.1.md,
 * `--url`: `<schema>://[<user[:<password>]@]<host>[:<port>][<path>]`, schema ssh, tcp or unix).
 * tcp is left out on purpose: podman calls it "unencrypted, unauthenticated".
 */
const URL_FORMS = /^(unix:\/\/\/\S+|ssh:\/\/[^/\s]+\/\S+)$/;

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The hosts of `x-micropod: hosts:`, checked; undefined when the file declares none. */
export function readHosts(extension: unknown, report: Report): Map<string, SuiteHost> | undefined {
  const block = isMapping(extension) ? extension.hosts : undefined;
  if (block === undefined) return undefined;
  if (!isMapping(block)) {
    report("x-micropod/hosts", "must map host names to {url, address} (e.g. `db1: {url: ssh://root@db1/run/podman/podman.sock, address: 10.0.0.2}`)");
    return undefined;
  }
  const hosts = new Map<string, SuiteHost>();
  for (const [name, raw] of Object.entries(block)) {
    const at = `x-micropod/hosts/${name}`;
    const def = isMapping(raw) ? raw : {};
    if (!isMapping(raw)) report(at, "must be a mapping with url: and address:");
    const url = def.url;
    const address = def.address;
    if (url !== undefined && (typeof url !== "string" || !URL_FORMS.test(url))) {
      report(`${at}/url`, `${JSON.stringify(url)} is not a podman connection URL: write unix:///path/podman.sock or ssh://user@host/run/podman/podman.sock`);
    }
    if (url === undefined && name !== LOCAL_HOST) report(at, `needs url: (the podman service of ${name}, e.g. ssh://root@${name}/run/podman/podman.sock)`);
    if (address !== undefined && (typeof address !== "string" || !isIP(address))) report(`${at}/address`, `${JSON.stringify(address)} is not an IP address (the host's private address)`);
    hosts.set(name, {
      name,
      ...(typeof url === "string" ? { url } : {}),
      ...(typeof address === "string" && isIP(address) ? { address } : {}),
    });
  }
  return hosts;
}

/** The host a service runs on: its `x-micropod: {host:}`, else `local`. */
export function serviceHost(service: Service): string {
  const h = service.extensions.host;
  return typeof h === "string" ? h : LOCAL_HOST;
}

/** The host running `service` in `suite` (`local` for a suite without hosts). */
export function hostOf(suite: Suite, service: string): string {
  const s = suite.services.get(service);
  return s ? serviceHost(s) : LOCAL_HOST;
}

/** The podman URL of a host: undefined for the local podman (no --url). */
export const hostUrl = (suite: Suite, host: string): string | undefined => suite.hosts?.get(host)?.url;

/** The hosts the suite's running services are on, `local` first, then in declaration order. */
export function hostsInUse(suite: Suite): string[] {
  const used = new Set([...suite.services.values()].filter((s) => !s.buildOnly).map(serviceHost));
  const declared = [LOCAL_HOST, ...[...(suite.hosts?.keys() ?? [])].filter((h) => h !== LOCAL_HOST)];
  return declared.filter((h) => used.has(h));
}

/** Every name a service is reached by on its networks: its name, its aliases, its static addresses. */
function namesOf(s: Service): string[] {
  return [s.name, ...s.networks.flatMap((n) => [...n.aliases, ...(n.ipv4Address ? [n.ipv4Address] : []), ...(n.ipv6Address ? [n.ipv6Address] : [])])];
}

/** `X_HOST` goes with `X_PORT` (DB_HOST/DB_PORT, REDIS_HOST/REDIS_PORT, ES_HOST/ES_PORT). */
const portVariable = (variable: string): string | undefined => (/_HOST$/.test(variable) ? variable.replace(/_HOST$/, "_PORT") : undefined);

const hostLiteral = (address: string): string => (isIP(address) === 6 ? `[${address}]` : address);

/**
 * The environment values that name a service placed on another host (its name, an alias or a
 * static address; as `X_HOST`, its port in `X_PORT`, or as the host of a URL such as REDIS_URL),
 * each with the address and port it becomes. A link that cannot be derived is a problem naming
 * the variable and the fix: a serving host without a private address, a client host without one
 * (the serving host's firewall must name it), a port nobody says.
 */
export function crossHostLinks(services: ReadonlyMap<string, Service>, hosts: ReadonlyMap<string, SuiteHost> | undefined, report: Report): CrossHostLink[] {
  if (!hosts) return [];
  const byName = new Map<string, Service>();
  for (const s of services.values()) if (!s.buildOnly) for (const n of namesOf(s)) byName.set(n, s);
  const links: CrossHostLink[] = [];
  for (const client of services.values()) {
    if (client.buildOnly) continue;
    const clientHost = serviceHost(client);
    for (const [variable, value] of Object.entries(client.environment)) {
      const target = targetOf(value, byName);
      if (!target || target.service === client || serviceHost(target.service) === clientHost) continue;
      const serverHost = serviceHost(target.service);
      // A service on an undeclared host is reported once, by checkServiceHosts.
      if (![serverHost, clientHost].every((h) => h === LOCAL_HOST || hosts.has(h))) continue;
      const at = `services/${client.name}/environment/${variable}`;
      const where = hosts.get(serverHost)?.address;
      if (!where) {
        report(at, `names ${target.service.name}, which runs on ${serverHost}: give host ${serverHost} an address: (its private address) under x-micropod: hosts:`);
        continue;
      }
      if (!hosts.get(clientHost)?.address) {
        report(at, `${client.name} on ${clientHost} reaches ${target.service.name} on ${serverHost}: give host ${clientHost} an address: under x-micropod: hosts: (the firewall of ${serverHost} admits it by address)`);
        continue;
      }
      const port = target.port ?? portFrom(client, variable);
      if (port === undefined) {
        report(at, `names ${target.service.name} on another host, but no port says where it listens: set ${portVariable(variable) ?? "the port in the URL"}`);
        continue;
      }
      let placed = where;
      if (target.url) {
        const u = new URL(target.url.href);
        u.hostname = hostLiteral(where);
        placed = u.href;
      }
      const rival = links.find((l) => l.serverHost === serverHost && l.port === port && l.server !== target.service.name);
      if (rival) {
        report(at, `names ${target.service.name} on port ${port}, which ${rival.server} on ${serverHost} publishes there too (for ${rival.client}): one address cannot publish a port twice; place one of them on another host`);
        continue;
      }
      links.push({ client: client.name, clientHost, server: target.service.name, serverHost, variable, port, value: placed });
    }
  }
  return links;
}

function targetOf(value: string, byName: ReadonlyMap<string, Service>): { service: Service; port?: number; url?: URL } | undefined {
  const direct = byName.get(value);
  if (direct) return { service: direct };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const service = byName.get(url.hostname.replace(/^\[|\]$/g, ""));
  if (!service) return undefined;
  return { service, ...(url.port ? { port: Number(url.port) } : {}), url };
}

function portFrom(client: Service, variable: string): number | undefined {
  const pv = portVariable(variable);
  const raw = pv ? client.environment[pv] : undefined;
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * The services as placement makes them: each client's variable now names the serving host's
 * private address, each server publishes the linked port there (`ADDRESS:PORT:PORT/tcp`),
 * once per port, and a server with `peers-variable` is told its clients' hosts.
 */
export function placeServices(services: ReadonlyMap<string, Service>, hosts: ReadonlyMap<string, SuiteHost>, links: readonly CrossHostLink[]): Map<string, Service> {
  const out = new Map(services);
  for (const l of links) {
    const c = out.get(l.client)!;
    out.set(l.client, { ...c, environment: { ...c.environment, [l.variable]: l.value } });
  }
  for (const l of links) {
    const s = out.get(l.server)!;
    const publish = `${hostLiteral(hosts.get(l.serverHost)!.address!)}:${l.port}:${l.port}/tcp`;
    if (!s.ports.includes(publish)) out.set(l.server, { ...s, ports: [...s.ports, publish] });
  }
  for (const [name, s] of out) out.set(name, withPeers(s, hosts, links));
  return out;
}

/**
 * A service's `x-micropod: {peers-variable: NAME}`: the environment variable placement fills with
 * the private addresses of the other hosts whose services reach it, for a server that admits its
 * clients by address (the bundled postgresql's pg_hba, PG_HBA_PEERS). Space-separated and
 * sorted, after any addresses the file writes there itself; left as written when no service on
 * another host reaches it, so the one-host suite's environment is unchanged.
 */
const PEERS_VARIABLE = "peers-variable";

const peersVariableOf = (s: Service): string | undefined => (typeof s.extensions[PEERS_VARIABLE] === "string" ? (s.extensions[PEERS_VARIABLE] as string) : undefined);

function withPeers(server: Service, hosts: ReadonlyMap<string, SuiteHost>, links: readonly CrossHostLink[]): Service {
  const variable = peersVariableOf(server);
  if (variable === undefined) return server;
  const peers = links.filter((l) => l.server === server.name).map((l) => hosts.get(l.clientHost)!.address!);
  if (peers.length === 0) return server;
  const written = (server.environment[variable] ?? "").split(/\s+/).filter(Boolean);
  const value = [...new Set([...written, ...[...peers].sort()])].join(" ");
  return { ...server, environment: { ...server.environment, [variable]: value } };
}

/** The peers variables placement set (services reached from other hosts that take one), as they now read: for `plan`. */
export function placedPeers(suite: Suite): Array<{ service: string; variable: string; value: string }> {
  const reached = new Set((suite.links ?? []).map((l) => l.server));
  return [...suite.services.values()].flatMap((s) => {
    const variable = peersVariableOf(s);
    return variable !== undefined && reached.has(s.name) ? [{ service: s.name, variable, value: s.environment[variable] ?? "" }] : [];
  });
}

/** `x-micropod: {peers-variable:}` must name an environment variable. */
export function checkPeersVariables(services: ReadonlyMap<string, Service>, report: Report): void {
  for (const s of services.values()) {
    const v = s.extensions[PEERS_VARIABLE];
    if (v !== undefined && (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) {
      report(`services/${s.name}/x-micropod/${PEERS_VARIABLE}`, "must be the name of an environment variable (e.g. PG_HBA_PEERS), which placement fills with the addresses of the hosts that reach this service");
    }
  }
}

/** Services placed on a host the file does not declare. */
export function checkServiceHosts(services: ReadonlyMap<string, Service>, hosts: ReadonlyMap<string, SuiteHost> | undefined, report: Report): void {
  for (const s of services.values()) {
    const h = s.extensions.host;
    if (h === undefined) continue;
    const at = `services/${s.name}/x-micropod/host`;
    if (typeof h !== "string") report(at, "must be a host name");
    else if (h !== LOCAL_HOST && !hosts?.has(h)) {
      report(at, `unknown host ${JSON.stringify(h)}: declare it under the top-level x-micropod: hosts: (${[LOCAL_HOST, ...(hosts?.keys() ?? [])].filter((x, i, a) => a.indexOf(x) === i).join(", ")})`);
    }
  }
}
