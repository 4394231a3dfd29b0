import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvText } from "../../../src/config/env-file.js";
import { loadConfig } from "../../../src/config/load.js";
import { seedVariables } from "../../../src/config/variables.js";
import { loadConfigAndSuite } from "../../../src/commands/suite-loading.js";
import { Redactor } from "../../../src/core/redact.js";
import { emptyObservedState, observeFiles } from "../../../src/engine/observe.js";
import { type StartPlan, planStart } from "../../../src/engine/plan.js";
import { SECRET_VALUE_VAR } from "../../../src/podman/secret.js";
import { repoRoot, runMicropod } from "../../support/cli.js";
import { tempDir } from "../../support/temp.js";

/**
 * The seed suite's full sample .env, under its own names and with test values, planned against
 * the bundled suite: every one of its 35 values must land where the seed suite put it (the
 * Mastodon variable it means, in the containers that read it), and no secret it supplies is
 * generated anew.
 */
const fixture = resolve(repoRoot, "test", "fixtures", "seed", "seed.env");
const seed = Object.fromEntries(parseEnvText(readFileSync(fixture, "utf8"), fixture).entries.map((e) => [e.key, e.value]));

/** The fixture, with micropod's data and log directories in a scratch dir (never /var/db/micropod). */

function seedEnvCopy(): string {
  const dir = tempDir("micropod-seed-env-");
  const file = join(dir, "seed.env");
  writeFileSync(file, `${readFileSync(fixture, "utf8")}\nDATA_DIR=${join(dir, "data")}\nLOG_DIR=${join(dir, "log")}\n`);
  return file;
}

/** A container's `podman create` flags, read back from the planned argv. */
interface Created {
  readonly env: Record<string, string>;
  /** Secret target (the variable the container sees) -> podman secret name. */
  readonly secrets: Record<string, string>;
  readonly publish: string[];
  readonly hosts: string[];
}

function created(plan: StartPlan, service: string): Created {
  const step = plan.containers.find((c) => c.service === service);
  const argv = step?.commands.find((c) => c.argv[1] === "create")?.argv;
  if (!argv) throw new Error(`no podman create planned for ${service}`);
  const out: Created = { env: {}, secrets: {}, publish: [], hosts: [] };
  for (let i = 2; i < argv.length - 1; i++) {
    const [flag, value] = [argv[i]!, argv[i + 1]!];
    if (flag === "--env") out.env[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
    else if (flag === "--secret") {
      const [name, , target] = value.split(",");
      out.secrets[target!.replace("target=", "")] = name!;
    } else if (flag === "--publish") out.publish.push(value);
    else if (flag === "--add-host") out.hosts.push(value);
  }
  return out;
}

/** The value the plan gives a podman secret (it travels in podman's environment, never argv). */
function secretValue(plan: StartPlan, name: string): string | undefined {
  return plan.secrets.find((s) => s.name === name)?.commands.find((c) => c.argv[2] === "create")?.env?.[SECRET_VALUE_VAR];
}

const mastodon = ["maintaindb", "sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler", "web", "streaming"];
const rails = mastodon.filter((s) => s !== "streaming");
const networked = [...mastodon, "postgresql", "redis", "opensearch", "nginx", "nginx-media", "varnish", "haproxy"];

type Check = (plan: StartPlan, value: string) => void;
const envOf = (services: readonly string[], name: string, expected?: string): Check => (plan, value) => {
  for (const s of services) expect({ service: s, [name]: created(plan, s).env[name] }).toEqual({ service: s, [name]: expected ?? value });
};
const secretOf = (secret: string, services: readonly string[], target: string): Check => (plan, value) => {
  expect(secretValue(plan, `mastodon_${secret}`)).toBe(value);
  for (const s of services) expect({ service: s, [target]: created(plan, s).secrets[target] }).toEqual({ service: s, [target]: `mastodon_${secret}` });
};
const all = (...checks: Check[]): Check => (plan, value) => checks.forEach((c) => c(plan, value));

/** Where each seed variable's value must land: the Mastodon (or proxy) variable it means, in every container that reads it. */
const landings: Record<string, Check> = {
  IP4_ADDRESS: all(envOf(["haproxy"], "IP4_ADDRESS"), (plan, v) => expect(created(plan, "haproxy").publish).toEqual(expect.arrayContaining([`${v}:80:80/tcp`, `${v}:443:443/tcp`]))),
  IP6_ADDRESS: all(envOf(["haproxy"], "IP6_ADDRESS"), (plan, v) => expect(created(plan, "haproxy").publish).toEqual(expect.arrayContaining([`${v}:80:80/tcp`, `${v}:443:443/tcp`]))),
  PROXY_IP_V4: envOf(["nginx", "haproxy"], "PROXY_IP_V4"),
  PROXY_IP_V6: envOf(["nginx", "haproxy"], "PROXY_IP_V6"),
  // A name, resolved in every container by pinning it to the database's static address.
  DB_HOST: all(envOf(mastodon, "DB_HOST"), (plan, v) => {
    for (const s of networked) expect({ service: s, hosts: created(plan, s).hosts }).toEqual({ service: s, hosts: [`${v}:10.89.0.10`] });
  }),
  DB_PORT: envOf(mastodon, "DB_PORT"),
  DB_NAME: envOf(mastodon, "DB_NAME"),
  DB_USER: envOf(mastodon, "DB_USER"),
  DB_PASSWORD: secretOf("db_pass", ["postgresql", ...mastodon], "DB_PASS"),
  RAILS_ENV: envOf(mastodon, "RAILS_ENV"),
  DOMAIN: all(envOf(mastodon, "LOCAL_DOMAIN"), envOf(["nginx", "nginx-media", "varnish", "haproxy"], "DOMAIN")),
  SECRET_KEY: secretOf("secret_key", rails, "SECRET_KEY_BASE"),
  OTP_SECRET: secretOf("otp_secret", rails, "OTP_SECRET"),
  VAPID_PRIVATE_KEY: secretOf("vapid_private_key", rails, "VAPID_PRIVATE_KEY"),
  VAPID_PUBLIC_KEY: envOf(mastodon, "VAPID_PUBLIC_KEY"),
  ACTIVE_PRIMARY_KEY: secretOf("active_record_encryption_primary_key", rails, "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY"),
  ACTIVE_DETERMINISTIC_KEY: secretOf("active_record_encryption_deterministic_key", rails, "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY"),
  ACTIVE_KEY_DERIVATION_SALT: secretOf("active_record_encryption_key_derivation_salt", rails, "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT"),
  MY_MAIL_HOST: envOf(mastodon, "SMTP_SERVER"),
  MY_MAIL_PORT: envOf(mastodon, "SMTP_PORT"),
  MY_MAIL_USERNAME: envOf(mastodon, "SMTP_LOGIN"),
  MY_MAIL_PASSWORD: secretOf("my_mail_password", rails, "SMTP_PASSWORD"),
  MY_MAIL_FROM_ADDRESS: envOf(mastodon, "SMTP_FROM_ADDRESS"),
  S3_BUCKET: envOf([...mastodon, "nginx-media"], "S3_BUCKET"),
  S3_REGION: envOf(mastodon, "S3_REGION"),
  // The seed has no S3 switch: its media always live in S3, so the access key turns it on.
  S3_USER: all(envOf(mastodon, "AWS_ACCESS_KEY_ID"), envOf(mastodon, "S3_ENABLED", "true")),
  S3_PASSWORD: secretOf("s3_secret_access_key", rails, "AWS_SECRET_ACCESS_KEY"),
  S3_CDN_HOSTNAME: envOf([...mastodon, "nginx-media", "haproxy"], "S3_ALIAS_HOST"),
  ELASTIC_USERNAME: all(envOf(mastodon, "ES_USER"), envOf(["opensearch"], "ELASTIC_USER")),
  ELASTIC_PASSWORD: all(secretOf("elastic_password", rails, "ES_PASS"), secretOf("elastic_password", ["opensearch"], "ELASTIC_PASSWORD")),
  DEEPL_API_KEY: secretOf("deepl_api_key", rails, "DEEPL_API_KEY"),
  DEEPL_API_PLAN: envOf(mastodon, "DEEPL_PLAN"),
  // The S3 host: nginx-media reads media from it and relays its API; Mastodon writes to that API.
  S3_IP_ADDRESS_1: all(envOf(["nginx-media"], "S3_IP_ADDRESS_1"), envOf(mastodon, "S3_ENDPOINT", `http://${seed.S3_IP_ADDRESS_1}:${seed.S3_WRITE_PORT_NUMBER}`)),
  S3_READ_PORT_NUMBER: envOf(["nginx-media"], "S3_READ_PORT_NUMBER"),
  S3_WRITE_PORT_NUMBER: all(envOf(["nginx-media"], "S3_WRITE_PORT_NUMBER"), envOf(mastodon, "S3_ENDPOINT", `http://${seed.S3_IP_ADDRESS_1}:${seed.S3_WRITE_PORT_NUMBER}`)),
};

describe("the seed suite's sample .env, as written", () => {
  it("is the seed's 35 variables, each with a test value, and each has a landing check here", () => {
    expect(Object.keys(seed)).toEqual(seedVariables);
    expect(seedVariables).toHaveLength(35);
    for (const name of seedVariables) expect({ name, value: seed[name] }).not.toEqual({ name, value: "" });
    expect(Object.keys(landings).sort()).toEqual([...seedVariables].sort());
  });

  it("loads with no warning and generates only the secret the seed never had: every one it supplies is used", async () => {
    const config = await loadConfig(seedEnvCopy());
    expect(config.warnings).toEqual([]);
    // The seed's Redis runs without a password; micropod's requires one.
    expect(config.generatedSecrets).toEqual(["REDIS_PASSWORD"]);
  });

  const planned = (async () => {
    const { config, suite } = await loadConfigAndSuite({ redactor: new Redactor() }, { env: seedEnvCopy(), compose: resolve(repoRoot, "containerfiles", "compose.yaml") });
    return planStart(suite, { vars: config.vars, secretNames: config.secretNames }, { ...emptyObservedState(), ...(await observeFiles(suite)) });
  })();

  it.each(seedVariables)("%s lands where the seed suite put it", async (name) => {
    landings[name]!(await planned, seed[name]!);
  });

  it("plans cleanly through the CLI: no unknown variable, no secret to generate but the Redis password", () => {
    const r = runMicropod(["plan", "--fresh", "--json", "--env", seedEnvCopy()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.config.warnings).toEqual([]);
    expect(doc.config.generatedSecrets).toEqual(["REDIS_PASSWORD"]);
    expect(doc.warnings).toEqual([]);
  });
});
