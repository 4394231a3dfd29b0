import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, persistGeneratedSecrets } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/core/errors.js";
import { tempDir } from "../../support/temp.js";

const BASE = ["DOMAIN=example.org", "IP4_ADDRESS=192.0.2.10", "MY_MAIL_HOST=mail.example.org"];
const ALL_GENERATED = [
  "DB_PASS",
  "REDIS_PASSWORD",
  "SECRET_KEY",
  "OTP_SECRET",
  "VAPID_PRIVATE_KEY",
  "VAPID_PUBLIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
  "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
  "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
  "ELASTIC_PASSWORD",
];

async function setup(lines: string[] = []): Promise<{ env: string; data: string; secrets: string }> {
  const dir = tempDir("micropod-secrets-");
  const env = join(dir, "micropod.env");
  await writeFile(env, [...BASE, ...lines, ""].join("\n"));
  const data = join(dir, "data");
  return { env, data, secrets: join(data, "private", "secrets.env") };
}

/** Decode Ruby's Base64.urlsafe_encode64 output strictly: padded, URL-safe alphabet. */
function decodePadded(value: string): Buffer {
  expect(value).toMatch(/^[A-Za-z0-9_-]+=*$/);
  expect(value.length % 4).toBe(0);
  return Buffer.from(value, "base64url");
}

describe("generated secrets", () => {
  it("have the forms Mastodon's own generators print", async () => {
    const { env, data } = await setup();
    const config = await loadConfig(env, { dataDirOverride: data });
    expect(config.generatedSecrets).toEqual(ALL_GENERATED);
    const v = config.vars;
    // rails secret: SecureRandom.hex(64)
    expect(v.SECRET_KEY).toMatch(/^[0-9a-f]{128}$/);
    expect(v.OTP_SECRET).toMatch(/^[0-9a-f]{128}$/);
    expect(v.SECRET_KEY).not.toBe(v.OTP_SECRET);
    expect(v.SECRET_KEY_BASE).toBe(v.SECRET_KEY);
    // bin/rails db:encryption:init: SecureRandom.alphanumeric(32)
    for (const n of ["ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY", "DB_PASS", "REDIS_PASSWORD", "ELASTIC_PASSWORD"]) {
      expect(v[n]).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    expect(new Set(ALL_GENERATED.map((n) => v[n])).size).toBe(ALL_GENERATED.length);
  });

  it("make a VAPID pair node's crypto accepts as one P-256 key: sign with the private, verify with the public", async () => {
    const { env, data } = await setup();
    const { vars } = await loadConfig(env, { dataDirOverride: data });
    const d = decodePadded(vars.VAPID_PRIVATE_KEY!);
    const point = decodePadded(vars.VAPID_PUBLIC_KEY!);
    expect(vars.VAPID_PRIVATE_KEY).toHaveLength(44);
    expect(vars.VAPID_PUBLIC_KEY).toHaveLength(88);
    expect(d).toHaveLength(32);
    expect(point).toHaveLength(65);
    expect(point[0]).toBe(0x04);
    const x = point.subarray(1, 33).toString("base64url");
    const y = point.subarray(33).toString("base64url");
    // Importing fails unless (x, y) is on the curve and d is its private scalar.
    const privateKey = createPrivateKey({ key: { kty: "EC", crv: "P-256", d: d.toString("base64url"), x, y }, format: "jwk" });
    const publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
    const message = Buffer.from("micropod web push");
    const signature = sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
    expect(verify("sha256", message, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
    expect(verify("sha256", Buffer.from("tampered"), { key: publicKey, dsaEncoding: "ieee-p1363" }, signature)).toBe(false);
  });
});

describe("persisted secrets", () => {
  it("are written 0600 in a 0700 directory, then reused: a second load generates nothing and persist leaves the file byte-identical", async () => {
    const { env, data, secrets } = await setup();
    const first = await loadConfig(env, { dataDirOverride: data });
    await persistGeneratedSecrets(first);
    expect((await stat(secrets)).mode & 0o777).toBe(0o600);
    expect((await stat(join(data, "private"))).mode & 0o777).toBe(0o700);
    const before = await readFile(secrets);
    const mtime = (await stat(secrets)).mtimeMs;

    const second = await loadConfig(env, { dataDirOverride: data });
    expect(second.generatedSecrets).toEqual([]);
    for (const n of ALL_GENERATED) expect(second.vars[n]).toBe(first.vars[n]);
    await persistGeneratedSecrets(second);
    expect((await readFile(secrets)).equals(before)).toBe(true);
    expect((await stat(secrets)).mtimeMs).toBe(mtime);
    expect(second.warnings).toEqual([]);
  });

  it("only adds what is missing: an existing secret is never replaced, and one set in .env wins but is not written", async () => {
    const { env, data, secrets } = await setup(["SECRET_KEY=from-env-0123456789abcdef0123456789abcdef"]);
    await mkdir(join(data, "private"), { recursive: true });
    const persistedOtp = "b".repeat(128);
    const persistedKey = "a".repeat(128);
    await writeFile(secrets, `# kept\nOTP_SECRET=${persistedOtp}\nSECRET_KEY=${persistedKey}\nEXTRA_NOTE='kept too'\n`, { mode: 0o600 });

    const config = await loadConfig(env, { dataDirOverride: data });
    expect(config.vars.OTP_SECRET).toBe(persistedOtp);
    expect(config.vars.SECRET_KEY).toBe("from-env-0123456789abcdef0123456789abcdef");
    expect(config.generatedSecrets).not.toContain("OTP_SECRET");
    expect(config.generatedSecrets).not.toContain("SECRET_KEY");
    expect(config.warnings).toEqual([{ file: env, line: 4, path: "SECRET_KEY", message: `differs from the value persisted in ${secrets}; the .env value is used` }]);

    await persistGeneratedSecrets(config);
    const written = await readFile(secrets, "utf8");
    const lines = written.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual([
      `DB_PASS=${config.vars.DB_PASS}`,
      `REDIS_PASSWORD=${config.vars.REDIS_PASSWORD}`,
      `SECRET_KEY=${persistedKey}`,
      `OTP_SECRET=${persistedOtp}`,
      `VAPID_PRIVATE_KEY=${config.vars.VAPID_PRIVATE_KEY}`,
      `VAPID_PUBLIC_KEY=${config.vars.VAPID_PUBLIC_KEY}`,
      `ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY=${config.vars.ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY}`,
      `ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT=${config.vars.ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT}`,
      `ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY=${config.vars.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY}`,
      `ELASTIC_PASSWORD=${config.vars.ELASTIC_PASSWORD}`,
      "EXTRA_NOTE='kept too'",
    ]);
    expect((await stat(secrets)).mode & 0o777).toBe(0o600);
  });

  it("refuses to overwrite a secret another run persisted after this load", async () => {
    const { env, data, secrets } = await setup();
    const a = await loadConfig(env, { dataDirOverride: data });
    const b = await loadConfig(env, { dataDirOverride: data });
    await persistGeneratedSecrets(a);
    const before = await readFile(secrets);
    const err = await persistGeneratedSecrets(b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`${secrets} changed since the configuration was loaded; run again`);
    expect((await readFile(secrets)).equals(before)).toBe(true);
  });

  it("validates persisted values and warns about a secrets file others can read", async () => {
    const { env, data, secrets } = await setup();
    await mkdir(join(data, "private"), { recursive: true });
    await writeFile(secrets, "OTP_SECRET=short\nnot a line\n", { mode: 0o644 });
    const err = await loadConfig(env, { dataDirOverride: data }).catch((e: unknown) => e);
    expect((err as ConfigError).details).toEqual([
      `${secrets}:1: OTP_SECRET: expected at least 32 characters without spaces (rails secret prints 128 hex digits); leave blank to generate`,
      `${secrets}:2: expected KEY=value: no "=" on this line (it starts with not)`,
    ]);
    await writeFile(secrets, `OTP_SECRET=${"c".repeat(128)}\n`);
    const config = await loadConfig(env, { dataDirOverride: data });
    expect(config.vars.OTP_SECRET).toBe("c".repeat(128));
    expect(config.warnings).toEqual([{ file: secrets, message: `mode 644 lets others read secrets; expected 600 (chmod 600 ${secrets})` }]);
  });
});
