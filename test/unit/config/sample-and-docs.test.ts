import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { renderDerivedTable, renderSampleEnv, renderSeedTable, renderVariablesTable } from "../../../src/config/reference.js";
import { parseEnvText } from "../../../src/config/env-file.js";
import { variables } from "../../../src/config/variables.js";
import { tempDir } from "../../support/temp.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const sampleEnv = join(root, "sample.env");

describe("sample.env", () => {
  it("loads with no problem and no warning, every secret generated, nothing written", async () => {
    const data = join(tempDir("micropod-sample-"), "data");
    const config = await loadConfig(sampleEnv, { dataDirOverride: data });
    expect(config.warnings).toEqual([]);
    // Every generated secret but those of an optional service whose profile is off (REPLICATION_PASSWORD).
    expect(config.generatedSecrets).toEqual(variables.filter((v) => v.generated && !v.defaultWithProfile).map((v) => v.name));
    expect(config.vars.DOMAIN).toBe("example.org");
    expect(config.vars.IP6_ADDRESS).toBe("[2001:db8::10]");
    expect(config.vars.DB_POOL).toBe("25");
    expect(config.paths).toEqual({
      data,
      secretsFile: join(data, "private", "secrets.env"),
      state: join(data, "state"),
      lock: join(data, "state", "micropod.lock"),
      logs: "/var/log/containers",
    });
    await expect(readdir(data)).rejects.toThrow(/ENOENT/);
  });

  it("documents every variable, with a comment block above it, and is what the variable table renders", async () => {
    const text = await readFile(sampleEnv, "utf8");
    expect(text).toBe(renderSampleEnv());
    const { entries, problems } = parseEnvText(text, sampleEnv);
    expect(problems).toEqual([]);
    expect(entries.map((e) => e.key)).toEqual(variables.map((v) => v.name));
    const lines = text.split("\n");
    for (const e of entries) {
      expect(lines[e.line - 2]).toMatch(/^# (Required|Default: .+|Optional)\. (Secret|Not secret)/);
      expect(lines[e.line - 3]).toMatch(/^# Form: /);
    }
    // Secrets are never written into the sample.
    for (const v of variables.filter((s) => s.secret)) expect(entries.find((e) => e.key === v.name)?.value).toBe("");
  });
});

describe("docs/configuration.md", () => {
  it("carries the variable, seed and derived tables as the schema renders them", async () => {
    const doc = await readFile(join(root, "docs", "configuration.md"), "utf8");
    expect(doc).toContain(`${renderVariablesTable()}\n`);
    expect(doc).toContain(`${renderDerivedTable()}\n`);
    expect(doc).toContain(`${renderSeedTable()}\n`);
  });
});
