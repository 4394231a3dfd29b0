import { request } from "node:http";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";

/**
 * HTTP-01 through the suite's own path: the CA asks
 * `http://<name>/.well-known/acme-challenge/<token>` (RFC 8555 section 8.3); haproxy sends that
 * path, for every host name, to nginx-media, which serves it from a read-only bind mount of
 * this directory. micropod writes one file per token and removes it once the CA has answered.
 * The key authorization is public by design, so the files are world-readable (nginx's workers
 * run as www).
 */
const TOKEN = /^[A-Za-z0-9_-]+$/; // base64url, RFC 8555 section 8.3

export class ChallengeWebroot {
  constructor(readonly dir: string) {}

  private file(token: string): string {
    // The token comes from the CA: never let it name a path outside the directory.
    if (!TOKEN.test(token)) throw new Error(`the CA sent a challenge token that is not base64url: ${JSON.stringify(token.slice(0, 80))}`);
    return join(this.dir, token);
  }

  async put(token: string, keyAuthorization: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(this.file(token), keyAuthorization, { mode: 0o644 });
  }

  async remove(token: string): Promise<void> {
    await rm(this.file(token), { force: true });
  }
}

export const challengePath = (token: string) => `/.well-known/acme-challenge/${token}`;

/**
 * Ask haproxy for the token as the CA will (same path, same Host header) before telling the CA
 * to validate: a routing or mount problem then fails here with its cause, instead of as a
 * failed validation the CA counts against the account. acme-client's own pre-check is not used:
 * it resolves the name through this host's DNS, which on a NAT'ed or split-horizon host does not
 * lead back to haproxy even when the CA's view does.
 *
 * Only a wrong answer is conclusive. When haproxy cannot be reached from the host at all, the
 * result says so and the caller lets the CA try: the host's own path to the container is not the
 * one the CA takes.
 */
export async function selfCheckChallenge(
  target: { host: string; port: number },
  name: string,
  token: string,
  keyAuthorization: string,
  timeoutMs = 10_000,
): Promise<{ readonly served: true } | { readonly served: false; readonly unreachable: string }> {
  const url = `http://${target.host}:${target.port}${challengePath(token)} (Host: ${name})`;
  const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: target.host.replace(/^\[|\]$/g, ""), port: target.port, path: challengePath(token), headers: { host: name }, timeout: timeoutMs, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body = (body + c).slice(0, 4096)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  }).catch((err: Error) => err);
  if (got instanceof Error) return { served: false, unreachable: `cannot reach haproxy at ${url}: ${got.message}` };
  if (got.status !== 200 || got.body.trim() !== keyAuthorization) {
    throw new Error(`haproxy did not serve the challenge at ${url}: HTTP ${got.status}${got.status === 200 ? " with another body" : ""} (is nginx-media running, with the challenge directory mounted?)`);
  }
  return { served: true };
}
