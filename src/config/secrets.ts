import { createECDH, randomBytes } from "node:crypto";
import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { ConfigError, type Problem } from "../core/errors.js";
import { formatEnvLine, readEnvFile, type ParsedEnvFile } from "./env-file.js";
import { decodeUrlSafeBase64 } from "./formats.js";
import { generatedVariables, kinds, variableByName } from "./variables.js";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** What `rails secret` prints: SecureRandom.hex(64), 128 lowercase hex digits. */
export function generateRailsSecret(): string {
  return randomBytes(64).toString("hex");
}

/** What SecureRandom.alphanumeric(n) prints (bin/rails db:encryption:init uses n = 32). */
export function generateAlphanumeric(length = 32): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting the top bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

export interface VapidKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

/**
 * A VAPID pair as the webpush gem's Webpush.generate_key (used by Mastodon's
 * `rake mastodon:webpush:generate_vapid_key`) prints it: Base64.urlsafe_encode64, padded, of
 * the raw 32-byte private scalar and of the 65-byte uncompressed public point.
 */
export function generateVapidKeyPair(): VapidKeyPair {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    privateKey: ecdh.getPrivateKey().toString("base64").replace(/\+/g, "-").replace(/\//g, "_"),
    publicKey: ecdh.getPublicKey(null, "uncompressed").toString("base64").replace(/\+/g, "-").replace(/\//g, "_"),
  };
}

/** The public key that belongs to a VAPID private key, as raw bytes; undefined when invalid. */
export function vapidPublicKeyOf(privateKey: string): Buffer | undefined {
  const d = decodeUrlSafeBase64(privateKey);
  if (!d || d.length > 32) return undefined;
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.concat([Buffer.alloc(32 - d.length), d]));
    return ecdh.getPublicKey(null, "uncompressed");
  } catch {
    return undefined;
  }
}

/** Generate every secret in `names` (a subset of the generated variables); the VAPID pair together. */
export function generateSecrets(names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const wanted = new Set(names);
  if (wanted.has("VAPID_PRIVATE_KEY") || wanted.has("VAPID_PUBLIC_KEY")) {
    const pair = generateVapidKeyPair();
    out.VAPID_PRIVATE_KEY = pair.privateKey;
    out.VAPID_PUBLIC_KEY = pair.publicKey;
  }
  for (const name of wanted) {
    if (name === "SECRET_KEY" || name === "OTP_SECRET") out[name] = generateRailsSecret();
    // The passwords (DB_PASS, REDIS_PASSWORD, ELASTIC_PASSWORD): 32 letters and digits, safe in any config file.
    else if (variableByName.get(name)?.kind === kinds.generatedPassword || name.startsWith("ACTIVE_RECORD_ENCRYPTION_")) out[name] = generateAlphanumeric(32);
  }
  return out;
}

/** The persisted secrets file, or undefined when it does not exist yet. Syntax problems throw. */
export async function readSecretsFile(path: string): Promise<ParsedEnvFile | undefined> {
  let parsed: ParsedEnvFile;
  try {
    parsed = await readEnvFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parsed;
}

/** A warning when the secrets file can be read by anyone but its owner. */
export async function secretsFileModeProblem(path: string): Promise<Problem | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st || (st.mode & 0o077) === 0) return undefined;
  return { file: path, message: `mode ${(st.mode & 0o777).toString(8)} lets others read secrets; expected 600 (chmod 600 ${path})` };
}

const HEADER = [
  "# Secrets micropod generated once and reuses on every run. Mode 0600.",
  "# A value set in the .env file wins over the one here; micropod never replaces a value here.",
  "# Back this file up with the data: losing it logs every user out and breaks 2FA and Web Push.",
];

/** Render the secrets file: generated secrets in table order, then any other entry kept as it was. */
export function renderSecretsFile(values: ReadonlyMap<string, string>): string {
  const order = [...generatedVariables.filter((n) => values.has(n)), ...[...values.keys()].filter((n) => !generatedVariables.includes(n))];
  return [...HEADER, ...order.map((n) => formatEnvLine(n, values.get(n)!)), ""].join("\n");
}

/**
 * Add `generated` to the secrets file atomically (0600, directory 0700). Values already in the
 * file are kept as they are; a generated name that meanwhile appeared in the file with another
 * value is a conflict (another run persisted first), reported instead of replacing it.
 */
export async function writeGeneratedSecrets(path: string, generated: ReadonlyMap<string, string>): Promise<void> {
  const existing = await readSecretsFile(path);
  if (existing && existing.problems.length > 0) throw new ConfigError(`cannot update ${path}: it has errors`, existing.problems);
  const merged = new Map((existing?.entries ?? []).map((e) => [e.key, e.value] as const));
  const conflicts = [...generated.keys()].filter((n) => merged.has(n) && merged.get(n) !== generated.get(n));
  if (conflicts.length > 0) {
    throw new ConfigError(`${path} changed since the configuration was loaded; run again`, conflicts.map((n) => ({ file: path, path: n, message: "already persisted with another value; not replaced" })));
  }
  const added = [...generated.entries()].filter(([n]) => !merged.has(n));
  if (added.length === 0) return;
  for (const [n, v] of added) merged.set(n, v);
  const dir = dirname(path);
  await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // an existing private/ directory may have been created looser
  await writeFileAtomic(path, renderSecretsFile(merged), { mode: 0o600 });
}
