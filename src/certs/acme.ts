import { readFile } from "node:fs/promises";
import { Agent, get } from "node:https";
import { rootCertificates } from "node:tls";
import acme from "acme-client";
import { combinedPem } from "./pem.js";

/**
 * One certificate order over ACME with acme-client (publishlab/node-acme-client, MIT, engines
 * node >= 16): account by key, order, HTTP-01 for each name through `challenge`, finalize with
 * a fresh key, download the chain. The certificate key is new at every order, so a renewal
 * never keeps a key longer than the certificate it belongs to.
 */
export const LETS_ENCRYPT = acme.directory.letsencrypt.production;
export const LETS_ENCRYPT_STAGING = acme.directory.letsencrypt.staging;

export interface Http01Solver {
  /** Make `keyAuthorization` answer at /.well-known/acme-challenge/<token> for `name`, or throw why not. */
  present(name: string, token: string, keyAuthorization: string): Promise<void>;
  cleanUp(token: string): Promise<void>;
}

export interface OrderOptions {
  readonly directoryUrl: string;
  readonly accountKeyPem: string;
  readonly names: readonly string[];
  readonly solver: Http01Solver;
  /** Extra CA certificates (PEM file) to trust for the ACME server's HTTPS, added to Node's own. */
  readonly caFile?: string;
  readonly email?: string;
  /** Per HTTP request to the CA. */
  readonly requestTimeoutMs?: number;
  /** Retries of a request the CA answered 5xx or 429, or did not answer (acme-client: 5, 5 s apart and growing). */
  readonly requestRetries?: number;
  /** Polling for a challenge or the order to turn valid: first interval, cap, attempts. */
  readonly poll?: { readonly minMs: number; readonly maxMs: number; readonly attempts: number };
}

export interface IssuedCertificate {
  /** Chain and key in one PEM, as haproxy loads it. */
  readonly pem: string;
}

export async function orderCertificate(o: OrderOptions): Promise<IssuedCertificate> {
  // acme-client talks through one module-wide axios instance: its defaults are the only way
  // to give the requests a timeout and a trust store (README, "HTTP client defaults").
  acme.axios.defaults.timeout = o.requestTimeoutMs ?? 30_000;
  acme.axios.defaults.httpsAgent = o.caFile ? new Agent({ ca: [...rootCertificates, await readFile(o.caFile, "utf8")] }) : undefined;
  const settings = (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings;
  if (settings) settings.retryMaxAttempts = o.requestRetries ?? 5;
  const agent = acme.axios.defaults.httpsAgent as Agent | undefined;
  await reachDirectory(o.directoryUrl, agent, o.requestTimeoutMs ?? 30_000);
  const poll = o.poll ?? { minMs: 3_000, maxMs: 30_000, attempts: 10 };
  const client = new acme.Client({
    directoryUrl: o.directoryUrl,
    accountKey: o.accountKeyPem,
    backoffMin: poll.minMs,
    backoffMax: poll.maxMs,
    backoffAttempts: poll.attempts,
  });
  await useAccount(client, o.email);
  const [commonName] = o.names;
  const [keyPem, csr] = await acme.crypto.createCsr({ commonName, altNames: [...o.names] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
  const chain = await client.auto({
    csr,
    challengePriority: ["http-01"],
    // micropod checks each challenge itself, through haproxy (see challenge.ts).
    skipChallengeVerification: true,
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      if (challenge.type !== "http-01") throw new Error(`the CA offers no http-01 challenge for ${authz.identifier.value}`);
      await o.solver.present(authz.identifier.value, challenge.token, keyAuthorization);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      if (challenge.type === "http-01") await o.solver.cleanUp(challenge.token);
    },
  });
  return { pem: combinedPem(chain, keyPem.toString()) };
}

/**
 * The account this key holds at the CA, created (agreeing to the CA's terms) when there is none.
 * `onlyReturnExisting` first (RFC 8555 section 7.3.1): acme-client's own registration in auto()
 * answers an existing account with an update carrying only termsOfServiceAgreed, which a strict
 * server (pebble) refuses as an empty update. A failed lookup, whatever the reason, falls through
 * to the creation, whose error is then the one reported.
 */
async function useAccount(client: acme.Client, email: string | undefined): Promise<void> {
  const contact = email ? { contact: [`mailto:${email}`] } : {};
  try {
    await client.createAccount({ onlyReturnExisting: true });
  } catch {
    await client.createAccount({ termsOfServiceAgreed: true, ...contact });
    return;
  }
  if (email) await client.updateAccount(contact);
}

/**
 * GET the directory before anything else, so an unreachable or untrusted CA is reported with
 * its cause: acme-client loses the network error of a request whose retries ran out and throws
 * "Cannot read properties of undefined (reading 'config')" instead (publishlab/node-acme-client
 * issue #101, open).
 */
function reachDirectory(url: string, agent: Agent | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(agent ? { agent } : {}), timeout: timeoutMs }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`the ACME directory ${url} answered HTTP ${res.statusCode}`));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => reject(new Error(`cannot reach the ACME directory ${url}: ${err.message}`)));
  });
}

/** The message of an ACME or network error, without axios's request dump. */
export function acmeErrorMessage(err: unknown): string {
  const e = err as { message?: string; code?: string; response?: { status?: number; data?: { detail?: string; type?: string } } };
  const detail = e.response?.data?.detail;
  if (detail) return `${e.response?.data?.type ?? "ACME error"}: ${detail}`;
  if (err instanceof TypeError && /reading 'config'/.test(err.message)) return "the ACME server stopped answering during the order (no response after the retries)";
  return e.message ?? String(err);
}
