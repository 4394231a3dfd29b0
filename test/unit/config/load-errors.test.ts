import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ConfigError, ExitCode } from "../../../src/core/errors.js";
import { tempDir } from "../../support/temp.js";

async function scratch(): Promise<{ dir: string; data: string }> {
  const dir = tempDir("micropod-config-");
  const data = join(dir, "data");
  return { dir, data };
}

async function loadFailure(text: string): Promise<{ err: ConfigError; file: string; dir: string }> {
  const { dir, data } = await scratch();
  const file = join(dir, "bad.env");
  await writeFile(file, text);
  const err = await loadConfig(file, { dataDirOverride: data }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  return { err, file, dir };
}

// A valid P-256 scalar (0x07 repeated), so only the missing public half is wrong.
const VAPID_PRIVATE = `${Buffer.alloc(32, 7).toString("base64url")}=`;

describe("loadConfig with mistakes", () => {
  it("reports one problem per mistake, each with file, line and the expected form, and writes nothing", async () => {
    const text = [
      /*  1 */ "# a .env with one mistake on each numbered line",
      /*  2 */ "DOMAIN=",
      /*  3 */ "IP4_ADDRESS=192.0.2.300",
      /*  4 */ "IP6_ADDRESS=2001:db8::10",
      /*  5 */ "DB_PORT=70000",
      /*  6 */ "DOMIAN=example.org",
      /*  7 */ "MY_MAIL_HOST=mail.example.org",
      /*  8 */ "MY_MAIL_FROM=notifications.example.org",
      /*  9 */ "S3_ENABLED=yes",
      /* 10 */ "DEEPL_PLAN=business",
      /* 11 */ "REDIS_HOST=redis host!",
      /* 12 */ "SIDEKIQ_THREADS=0",
      /* 13 */ `VAPID_PRIVATE_KEY=${VAPID_PRIVATE}`,
      /* 14 */ "MONITORHOST=alertmanager.example.org:99999",
      /* 15 */ "this line is not an assignment",
      /* 16 */ "DB_NAME=mastodon",
      /* 17 */ "DB_NAME=other",
      /* 18 */ "SMTP_SERVER=mail.example.org",
      /* 19 */ "DATA_DIR=relative/dir",
      /* 20 */ "SECRET_KEY=tooshort",
      /* 21 */ "CUSTOM_THING=passed through",
    ].join("\n");
    const { err, file, dir } = await loadFailure(text);
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toBe(`${file}: 17 problems in the configuration`);
    expect(err.details).toEqual([
      `${file}:2: DOMAIN: required, but blank: expected a domain name (letters, digits, -, at least one dot, lowercase), like example.org`,
      `${file}:3: IP4_ADDRESS: expected an IPv4 address, like 192.0.2.10 (got "192.0.2.300")`,
      `${file}:4: IP6_ADDRESS: expected an IPv6 address in brackets, like [2001:db8::10] (got "2001:db8::10")`,
      `${file}:5: DB_PORT: expected a port number from 1 to 65535 (got "70000")`,
      `${file}:6: DOMIAN: unknown variable; did you mean DOMAIN?`,
      `${file}:8: MY_MAIL_FROM: expected an e-mail address, like notifications@example.org, optionally as Name <address> (got "notifications.example.org")`,
      `${file}:9: S3_ENABLED: expected true or false (got "yes")`,
      `${file}:10: DEEPL_PLAN: expected free or pro (got "business")`,
      `${file}:11: REDIS_HOST: expected an IPv4 address, an [IPv6] address or a hostname, like 10.89.0.10 (got "redis host!")`,
      `${file}:12: SIDEKIQ_THREADS: expected a whole number from 1 to 200 (got "0")`,
      `${file}:13: VAPID_PUBLIC_KEY: required because VAPID_PRIVATE_KEY is set (they go together): expected URL-safe base64 of a 65-byte uncompressed P-256 public key, starting with B; leave blank to generate`,
      `${file}:14: MONITORHOST: expected a host, host:port or http(s) URL, like alertmanager.example.org:9093 (port 9093 when none) (got "alertmanager.example.org:99999")`,
      `${file}:15: expected KEY=value: no "=" on this line (it starts with this)`,
      `${file}:17: DB_NAME: set twice; first set on line 16`,
      `${file}:18: SMTP_SERVER: set by micropod from MY_MAIL_HOST; set MY_MAIL_HOST instead`,
      `${file}:19: DATA_DIR: expected an absolute path, like /var/db/micropod (got "relative/dir")`,
      // A secret's value is never echoed back.
      `${file}:20: SECRET_KEY: expected at least 32 characters without spaces (rails secret prints 128 hex digits); leave blank to generate`,
    ]);
    // Nothing written anywhere: the scratch dir holds only the .env, the data dir was never made.
    expect(await readdir(dir)).toEqual(["bad.env"]);
  });

  it("applies the cross-field rules after defaults", async () => {
    const text = [
      /* 1 */ "DOMAIN=example.org",
      /* 2 */ "MY_MAIL_HOST=mail.example.org",
      /* 3 */ "IP4_ADDRESS=",
      /* 4 */ "S3_ENABLED=true",
      /* 5 */ "S3_BUCKET=media.example.org",
      /* 6 */ "S3_ALIAS_HOST=",
      /* 7 */ "S3_READ_PORT_NUMBER=9000",
      /* 8 */ "MY_MAIL_PASSWORD=hunter2hunter2",
    ].join("\n");
    const { err, file } = await loadFailure(text);
    expect(err.details).toEqual([
      `${file}:3: IP4_ADDRESS: set IP4_ADDRESS, IP6_ADDRESS or both: haproxy needs a public address to bind`,
      `${file}:4: S3_ENDPOINT: required when S3_ENABLED=true: expected an http(s) URL, like https://s3.example.org`,
      `${file}:4: S3_ACCESS_KEY_ID: required when S3_ENABLED=true: expected one line of text`,
      `${file}:4: S3_SECRET_ACCESS_KEY: required when S3_ENABLED=true: expected a password or key on one line`,
      `${file}:6: S3_ALIAS_HOST: required when S3_ENABLED=true: expected a hostname, like s3.example.org`,
      `${file}:7: S3_IP_ADDRESS_1: required because S3_READ_PORT_NUMBER is set: expected an IPv4 address, like 192.0.2.10`,
      `${file}:8: MY_MAIL_USER: required because MY_MAIL_PASSWORD is set (they go together): expected one line of text`,
    ]);
  });

  it("rejects a VAPID public key that is not the private key's pair", async () => {
    const otherPublic = `${Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString("base64url")}=`;
    const text = ["DOMAIN=example.org", "MY_MAIL_HOST=mail.example.org", "IP6_ADDRESS=[2001:db8::10]", `VAPID_PRIVATE_KEY=${VAPID_PRIVATE}`, `VAPID_PUBLIC_KEY=${otherPublic}`].join("\n");
    const { err, file } = await loadFailure(text);
    expect(err.details).toEqual([
      `${file}:5: VAPID_PUBLIC_KEY: is not the public key of VAPID_PRIVATE_KEY: set the pair printed together, or leave both blank to generate one`,
    ]);
  });

  it("names a missing .env file", async () => {
    const { dir } = await scratch();
    const missing = join(dir, "nope.env");
    const err = await loadConfig(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).details).toEqual([`${missing}: no such file`]);
  });
});
