import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { chmod, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { readIfExists } from "../host/files.js";
import { mkdirPrivate } from "./private-dir.js";

/**
 * The ACME account key: an ECDSA P-256 key (ES256, which RFC 8555 section 6.2 requires every
 * server to support), generated on first use and kept 0600 next to the suite's other secrets.
 * The CA finds the account by this key, so keeping it is keeping the account; it is never
 * replaced. A key file others can read is tightened back to 0600.
 */
export async function accountKey(path: string): Promise<{ pem: string; created: boolean }> {
  const existing = await readIfExists(path);
  if (existing !== undefined) {
    try {
      createPrivateKey(existing);
    } catch (err) {
      throw new Error(`${path} is not a private key (${(err as Error).message}); move it away to have a new account key generated`, { cause: err });
    }
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return { pem: existing, created: false };
  }
  await mkdirPrivate(dirname(path));
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  await writeFileAtomic(path, pem, { mode: 0o600 });
  return { pem, created: true };
}
