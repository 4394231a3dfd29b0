import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { aliasTarget, seedVariables, variableByName, variables } from "../../../src/config/variables.js";
import { ConfigError } from "../../../src/core/errors.js";
import { tempDir } from "../../support/temp.js";

/** The seed suite's spellings, read as micropod's variables. */
const base = ["DOMAIN=social.example.org", "IP4_ADDRESS=192.0.2.10", "MY_MAIL_HOST=mail.example.org"];


async function load(lines: readonly string[]) {
  const dir = tempDir("micropod-alias-");
  const file = join(dir, "micropod.env");
  await writeFile(file, `${[...base, ...lines].join("\n")}\n`);
  const result = await loadConfig(file, { dataDirOverride: join(dir, "data") }).then(
    (config) => ({ config, err: undefined }),
    (err: unknown) => ({ config: undefined, err: err as ConfigError }),
  );
  return { file, ...result };
}

describe("seed-suite aliases", () => {
  it("are declared in the one variable table, never twice, never clashing with a variable name", () => {
    const all = variables.flatMap((v) => v.aliases ?? []);
    expect(new Set(all).size).toBe(all.length);
    for (const a of all) expect(variableByName.has(a)).toBe(false);
    expect(Object.fromEntries(aliasTarget)).toEqual({
      DB_PASSWORD: "DB_PASS",
      ACTIVE_DETERMINISTIC_KEY: "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
      ACTIVE_KEY_DERIVATION_SALT: "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
      ACTIVE_PRIMARY_KEY: "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
      MY_MAIL_USERNAME: "MY_MAIL_USER",
      MY_MAIL_FROM_ADDRESS: "MY_MAIL_FROM",
      S3_CDN_HOSTNAME: "S3_ALIAS_HOST",
      S3_USER: "S3_ACCESS_KEY_ID",
      S3_PASSWORD: "S3_SECRET_ACCESS_KEY",
      ELASTIC_USERNAME: "ELASTIC_USER",
      DEEPL_API_PLAN: "DEEPL_PLAN",
    });
    // Every seed name is a variable or an alias, and says where it is used.
    for (const s of seedVariables) expect(variableByName.get(aliasTarget.get(s) ?? s)?.usedBy).toMatch(/\S/);
  });

  it("read a value under the seed's name as micropod's variable", async () => {
    const { config } = await load(["DB_PASSWORD=from-the-seed", "MY_MAIL_USERNAME=mailer", "MY_MAIL_PASSWORD=pw", "DEEPL_API_PLAN=pro"]);
    expect(config!.vars).toMatchObject({ DB_PASS: "from-the-seed", MY_MAIL_USER: "mailer", SMTP_LOGIN: "mailer", DEEPL_PLAN: "pro" });
    expect(config!.vars.DB_PASSWORD).toBeUndefined();
    expect(config!.generatedSecrets).not.toContain("DB_PASS");
  });

  it("refuse both spellings with different values, naming both lines", async () => {
    const { err, file } = await load(["DB_PASSWORD=one", "S3_USER=GKone", "DB_PASS=two", "S3_ACCESS_KEY_ID=GKtwo", "S3_ENABLED=false"]);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.details).toEqual([
      `${file}:6: DB_PASS: DB_PASSWORD (line 4) and DB_PASS (line 6) are both DB_PASS, with different values: keep one of the two lines`,
      `${file}:7: S3_ACCESS_KEY_ID: S3_USER (line 5) and S3_ACCESS_KEY_ID (line 7) are both S3_ACCESS_KEY_ID, with different values: keep one of the two lines`,
    ]);
  });

  it("accept both spellings with one value, and a blank one beside a set one", async () => {
    const { config } = await load(["DB_PASSWORD=same", "DB_PASS=same", "DEEPL_PLAN=", "DEEPL_API_PLAN=pro", "ELASTIC_USERNAME=elastic", "ELASTIC_USER=", "ELASTIC_PASSWORD=pw"]);
    expect(config!.vars).toMatchObject({ DB_PASS: "same", DEEPL_PLAN: "pro", ELASTIC_USER: "elastic" });
  });

  it("name a bad value, and a missing companion, by the spelling the file used", async () => {
    const { err, file } = await load(["DEEPL_API_PLAN=business", "MY_MAIL_USERNAME=mailer"]);
    expect(err!.details).toEqual([
      `${file}:4: DEEPL_API_PLAN: expected free or pro (got "business")`,
      `${file}:5: MY_MAIL_PASSWORD: required because MY_MAIL_USERNAME is set (they go together): expected a password or key on one line`,
    ]);
  });

  it("suggest a seed name for its typo instead of passing it through", async () => {
    const { err, file } = await load(["S3_CDN_HOSTNME=files.example.org"]);
    expect(err!.details).toEqual([`${file}:4: S3_CDN_HOSTNME: unknown variable; did you mean S3_CDN_HOSTNAME?`]);
  });
});

describe("the seed's semantics", () => {
  it('IP6_ADDRESS="[]", the seed\'s blank, means not set', async () => {
    const { config } = await load(['IP6_ADDRESS="[]"']);
    expect(config!.vars.IP6_ADDRESS).toBeUndefined();
    expect(config!.warnings).toEqual([]);
  });

  it("RAILS_ENV is production or refused: the images are built for nothing else", async () => {
    expect((await load(["RAILS_ENV=production"])).config!.vars.RAILS_ENV).toBe("production");
    expect((await load([])).config!.vars.RAILS_ENV).toBe("production");
    const { err, file } = await load(["RAILS_ENV=development"]);
    expect(err!.details).toEqual([`${file}:4: RAILS_ENV: expected production (the only Rails environment the suite's images are built for) (got "development")`]);
  });

  it("S3 follows the access key when S3_ENABLED is not set, and the endpoint follows the S3 host", async () => {
    expect((await load([])).config!.vars.S3_ENABLED).toBe("false");
    const s3 = ["S3_BUCKET=mastodon", "S3_USER=GKkey", "S3_PASSWORD=secret", "S3_CDN_HOSTNAME=files.example.org", "S3_IP_ADDRESS_1=203.0.113.20", "S3_WRITE_PORT_NUMBER=3900"];
    const { config } = await load(s3);
    expect(config!.vars).toMatchObject({ S3_ENABLED: "true", S3_ENDPOINT: "http://203.0.113.20:3900", AWS_ACCESS_KEY_ID: "GKkey" });
    // An explicit switch wins; an explicit endpoint wins.
    expect((await load([...s3, "S3_ENABLED=false"])).config!.vars.S3_ENABLED).toBe("false");
    expect((await load([...s3, "S3_ENDPOINT=https://s3.example.org"])).config!.vars.S3_ENDPOINT).toBe("https://s3.example.org");
    // Switched on by the key, the missing pieces are named with the reason, at the key's line.
    const { err, file } = await load(["S3_USER=GKkey"]);
    expect(err!.details).toEqual([
      `${file}:4: S3_BUCKET: required when S3_ENABLED=true (as S3_USER is set): expected an S3 bucket name: 3 to 63 lowercase letters, digits, . and -`,
      `${file}:4: S3_ENDPOINT: required when S3_ENABLED=true (as S3_USER is set): expected an http(s) URL, like https://s3.example.org`,
      `${file}:4: S3_ALIAS_HOST: required when S3_ENABLED=true (as S3_USER is set): expected a hostname, like s3.example.org`,
      `${file}:4: S3_SECRET_ACCESS_KEY: required when S3_ENABLED=true (as S3_USER is set): expected a password or key on one line`,
    ]);
  });
});
