import { join } from "node:path";
import type { ConfigPaths } from "../config/model.js";
import { SuiteError } from "../core/errors.js";
import type { Service, Suite } from "../suite/model.js";

/**
 * Where certificates, challenges and the ACME account live, read from the suite rather than
 * from service names: the proxy is whichever service bind-mounts a host directory at haproxy's
 * certificate directory, the challenge server whichever mounts one at the challenge directory
 * (both image paths are set in containerfiles/haproxy and containerfiles/nginx-media).
 */
export const PROXY_CERT_DIR = "/usr/local/etc/haproxy/certs";
export const CHALLENGE_DIR = "/usr/local/www/acme-challenge";

export interface CertLayout {
  /** The service haproxy runs in, and its container: what a new certificate reloads. */
  readonly proxy: { readonly service: string; readonly container: string };
  /** Host directory haproxy loads every certificate from (`crt <dir>`). */
  readonly certDir: string;
  /** Our certificate in it: `<DOMAIN>.pem`, certificate chain and key, mode 0600. */
  readonly certFile: string;
  /** Host directory the challenge server reads token files from. */
  readonly challengeDir: string;
  /** The ACME account key, generated once, mode 0600. */
  readonly accountKey: string;
  /** The certificate a renewal replaced, kept outside certDir (haproxy would load it too). */
  readonly previousFile: string;
  /** Directory URL, names, last attempt: what `renew` and `status` read. */
  readonly stateFile: string;
  /** Keeps two renewals (cron and a person) from ordering at once. */
  readonly certsLock: string;
  /** The suite's shared lock, held while haproxy is reconfigured and reloaded. */
  readonly suiteLock: string;
  /** Where the host reaches haproxy's port 80 directly, to check a challenge before the CA does. */
  readonly selfCheck?: { readonly host: string; readonly port: number };
}

function bindSource(suite: Suite, target: string): { service: Service; source: string } | undefined {
  for (const service of suite.services.values()) {
    const v = service.volumes.find((m) => m.type === "bind" && m.source && m.target.replace(/\/+$/, "") === target);
    if (v?.source) return { service, source: v.source };
  }
  return undefined;
}

function missingMount(suite: Suite, target: string, why: string): SuiteError {
  return new SuiteError(`${suite.file}: no service bind-mounts a host directory at ${target}`, [{ file: suite.file, path: "services", message: why }]);
}

export function certLayout(suite: Suite, paths: Pick<ConfigPaths, "data" | "state" | "lock">, domain: string): CertLayout {
  const certs = bindSource(suite, PROXY_CERT_DIR);
  if (!certs) throw missingMount(suite, PROXY_CERT_DIR, "haproxy reads its certificates there; micropod certs writes them into the host directory mounted at it");
  const challenge = bindSource(suite, CHALLENGE_DIR);
  if (!challenge) throw missingMount(suite, CHALLENGE_DIR, "the HTTP-01 challenge files are served from there (nginx-media); micropod certs writes them into the host directory mounted at it");
  const net = certs.service.networks.find((n) => n.ipv4Address) ?? certs.service.networks.find((n) => n.ipv6Address);
  const selfCheckHost = net?.ipv4Address ?? (net?.ipv6Address ? `[${net.ipv6Address}]` : undefined);
  return {
    proxy: { service: certs.service.name, container: certs.service.containerName },
    certDir: certs.source,
    certFile: join(certs.source, `${domain}.pem`),
    challengeDir: challenge.source,
    accountKey: join(paths.data, "private", "acme-account.pem"),
    previousFile: join(paths.data, "private", "certs-previous", `${domain}.pem`),
    stateFile: join(paths.state, "certs.json"),
    certsLock: join(paths.state, "certs.lock"),
    suiteLock: paths.lock,
    ...(selfCheckHost ? { selfCheck: { host: selfCheckHost, port: 80 } } : {}),
  };
}
