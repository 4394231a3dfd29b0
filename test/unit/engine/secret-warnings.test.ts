import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/core/errors.js";
import { emptyObservedState } from "../../../src/engine/observe.js";
import { planStart } from "../../../src/engine/plan.js";
import { loadSuite } from "../../../src/suite/load.js";
import { service, suite } from "../../support/make-suite.js";
import { tempDir } from "../../support/temp.js";

const root = resolve(import.meta.dirname, "../../..");
const dir = tempDir("micropod-secret-warnings-");

/** sample.env with some lines replaced, loaded as `plan` loads it (data dir in the temp dir). */
async function sampleConfig(changes: Record<string, string> = {}) {
  let text = readFileSync(join(root, "sample.env"), "utf8");
  for (const [k, v] of Object.entries(changes)) text = text.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=${v}`);
  const file = join(dir, `${Object.keys(changes).join("-") || "sample"}.env`);
  writeFileSync(file, text);
  return loadConfig(file, { dataDirOverride: join(dir, "data") });
}

/** sample.env's line setting `name` (the error points at the blank line). */
const lineOf = (name: string) => readFileSync(join(root, "sample.env"), "utf8").split("\n").findIndex((l) => l.startsWith(`${name}=`)) + 1;

const secretLines = (warnings: readonly string[]) => warnings.filter((w) => w.startsWith("secret "));

describe("warnings about secrets without a value", () => {
  it("sample.env: the blank optional secrets (mail, S3 off, DeepL) are no warning at all; search's password is generated", async () => {
    const config = await sampleConfig();
    const bundled = await loadSuite(join(root, "containerfiles/compose.yaml"), config.vars);
    const plan = planStart(bundled, { vars: config.vars, secretNames: config.secretNames }, emptyObservedState());
    expect(secretLines(plan.warnings)).toEqual([]);
    // They really are blank, and really handed to many services: the silence is the rule, not luck.
    for (const v of ["MY_MAIL_PASSWORD", "S3_SECRET_ACCESS_KEY", "DEEPL_API_KEY"]) expect(config.vars[v] ?? "").toBe("");
    expect(config.generatedSecrets).toContain("ELASTIC_PASSWORD");
    expect([...bundled.services.values()].filter((s) => s.secrets.some((x) => x.source === "my_mail_password")).length).toBeGreaterThan(5);
  });

  it("the blank that is a mistake stays visible: a companion set without it is refused by the configuration", async () => {
    const refused = (changes: Record<string, string>) =>
      sampleConfig(changes).then(
        () => [],
        (e: unknown) => {
          expect(e).toBeInstanceOf(ConfigError);
          return (e as ConfigError).details.map((d) => d.replace(`${dir}/`, ""));
        },
      );
    expect(await refused({ MY_MAIL_USER: "mastodon@example.org" })).toEqual([
      `MY_MAIL_USER.env:${lineOf("MY_MAIL_PASSWORD")}: MY_MAIL_PASSWORD: required because MY_MAIL_USER is set (they go together): expected a password or key on one line`,
    ]);
    expect((await refused({ S3_ENABLED: "true", S3_BUCKET: "media", S3_ENDPOINT: "https://s3.example.org", S3_ALIAS_HOST: "files.example.org", S3_ACCESS_KEY_ID: "AKIA1" })).filter((l) => l.includes("S3_SECRET_ACCESS_KEY"))).toEqual([
      `S3_ENABLED-S3_BUCKET-S3_ENDPOINT-S3_ALIAS_HOST-S3_ACCESS_KEY_ID.env:${lineOf("S3_SECRET_ACCESS_KEY")}: S3_SECRET_ACCESS_KEY: required when S3_ENABLED=true: expected a password or key on one line`,
    ]);
  });

  it("any other secret without a value: one line per secret, naming every service and target", () => {
    const user = suite(
      [
        service("worker-1", { secrets: [{ source: "api_token", target: "API_TOKEN", type: "env" }] }),
        service("worker-2", { secrets: [{ source: "api_token", target: "API_TOKEN", type: "env" }, { source: "tls_key", target: "/run/secrets/tls.key", type: "mount" }] }),
        service("web", { secrets: [{ source: "api_token", target: "TOKEN", type: "env" }, { source: "mail", target: "SMTP_PASSWORD", type: "env" }] }),
      ],
      {
        secrets: [
          { name: "api_token", environment: "API_TOKEN" },
          { name: "tls_key", file: "/suite/tls.key" },
          { name: "mail", environment: "MY_MAIL_PASSWORD" },
        ],
      },
    );
    const images = Object.fromEntries(["worker-1", "worker-2", "web"].map((n) => [`localhost/demo/${n}:latest`, { id: n, names: [], labels: {} }]));
    const plan = planStart(user, { vars: { API_TOKEN: "" } }, { ...emptyObservedState(), images });
    expect(plan.warnings).toEqual([
      "secret api_token has no value (API_TOKEN is blank): worker-1, worker-2 get no API_TOKEN; web gets no TOKEN",
      "secret tls_key has no value (/suite/tls.key is missing or empty): worker-2 gets no /run/secrets/tls.key",
    ]);
    // The services start without them: no --secret for a secret podman does not have.
    expect(plan.containers.every((c) => !c.commands[0]!.argv.includes("--secret"))).toBe(true);
  });
});
