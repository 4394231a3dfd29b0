import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig, registerSecrets } from "../../../src/config/load.js";
import { createLogger } from "../../../src/core/logger.js";
import { REDACTED, Redactor } from "../../../src/core/redact.js";
import { tempDir } from "../../support/temp.js";

function buffer(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("registerSecrets", () => {
  it("keeps every secret, generated or given, out of JSON and readable log lines", async () => {
    const dir = tempDir("micropod-redact-");
    const env = join(dir, "micropod.env");
    await writeFile(env, [
      "DOMAIN=example.org",
      "IP4_ADDRESS=192.0.2.10",
      "MY_MAIL_HOST=mail.example.org",
      "MY_MAIL_USER=notifications@example.org",
      "MY_MAIL_PASSWORD='mail pass with spaces'",
      "DEEPL_API_KEY=deepl-0123456789:fx",
      "",
    ].join("\n"));
    const config = await loadConfig(env, { dataDirOverride: join(dir, "data") });
    const redactor = new Redactor();
    registerSecrets(config, redactor);

    const secrets = [...config.secretNames].map((n) => config.vars[n]).filter((v): v is string => v !== undefined);
    // The ten generated ones but VAPID public (not secret), two given, and the copies under Mastodon names.
    expect(secrets.length).toBe(9 + 2 + 3);
    expect(config.secretNames.has("REDIS_PASSWORD")).toBe(true);
    expect(config.secretNames.has("SECRET_KEY_BASE")).toBe(true);
    expect(config.secretNames.has("SMTP_PASSWORD")).toBe(true);
    expect(config.secretNames.has("VAPID_PUBLIC_KEY")).toBe(false);

    for (const json of [true, false]) {
      const out = buffer();
      const logger = createLogger({ json, redactor, destination: out.stream });
      logger.info({ vars: config.vars }, "configuration loaded");
      for (const [name, value] of Object.entries(config.vars)) logger.info(`${name}=${value}`);
      logger.warn({ err: new Error(`connecting with ${config.vars.DB_PASS} failed`) }, "db");
      logger.warn(`redis://:${config.vars.REDIS_PASSWORD}@10.89.0.11:6379/0 refused`);
      logger.flush();
      await new Promise((r) => setImmediate(r));
      const text = out.text();
      // The log really carries the configuration (non-secret values, masks where secrets were)...
      expect(text).toContain(config.vars.VAPID_PUBLIC_KEY);
      expect(text).toContain("DOMAIN=example.org");
      expect(text).toContain(`SECRET_KEY=${REDACTED}`);
      // ...and no line holds a secret.
      for (const line of text.split("\n")) {
        for (const s of secrets) expect(line.includes(s), `json=${json}: a secret leaked in ${line.slice(0, 60)}`).toBe(false);
      }
      expect(redactor.leaks(text)).toBe(false);
    }
  });
});
