import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnvText } from "../../config/env-file.js";
import { configPaths, loadConfig } from "../../config/load.js";
import type { MicropodConfig } from "../../config/model.js";
import { generateSecrets, renderSecretsFile } from "../../config/secrets.js";
import { profileAllows } from "../../config/derive.js";
import { canonicalName, generatedVariables, variableByName } from "../../config/variables.js";
import { ConfigError, type Problem } from "../../core/errors.js";
import type { SeedSecrets } from "./seed-secrets.js";

/** Where a reused secret comes from. */
export interface ReusedSecret {
  readonly name: string;
  /** file:line it was read from. */
  readonly from: string;
  /** True when it goes into micropod's secrets file (the .env does not carry it). */
  readonly persisted: boolean;
}

/** micropod's configuration for an adopted seed, before anything is written. */
export interface AdoptedConfig {
  /** The new .env: the seed's, as written, with DATA_DIR added. */
  readonly envText: string;
  /** Stored secrets the .env leaves blank: they go into DATA_DIR/private/secrets.env. */
  readonly persist: ReadonlyMap<string, string>;
  readonly reused: readonly ReusedSecret[];
  /** Secrets the seed never had, generated for micropod (also in `persist`). */
  readonly generated: readonly string[];
  /** The configuration as micropod will load it (secrets registered by the caller). */
  readonly config: MicropodConfig;
  /** The seed's .env names the Mastodon release (MASTODON_VERSION); else micropod's default is built. */
  readonly versionGiven: boolean;
}

/**
 * Secrets the seed suite runs without, which adopt generates instead of refusing: no data depends
 * on them. The seed's Redis has no password and its OpenSearch no security plugin. micropod's
 * redis and opensearch containers are created anew (from micropod's images, on the seed's data):
 * redis with requirepass set from the new password, opensearch creating its user with the other
 * when it first sets up its security index; every Mastodon process gets both with the same
 * start. What the stores hold (queues, cache, search indexes) carries no password. Adopting
 * without them would leave micropod's stores open to anything on the backend network.
 */
export const GENERATED_ON_ADOPT: ReadonlyMap<string, string> = new Map([
  ["REDIS_PASSWORD", "the seed's Redis has none; micropod's redis requires it of every client"],
  ["ELASTIC_PASSWORD", "the seed's OpenSearch runs without its security plugin; micropod's creates ELASTIC_USER with it at its first start"],
  ["REPLICATION_PASSWORD", "the seed has no read replica; micropod's postgresql creates the replication role with it at every start"],
]);

/**
 * The seed's .env as micropod reads it (aliases and all), the secrets it stored merged in, and
 * DATA_DIR pointing at the adopted data. Every secret micropod would generate must be found: a
 * new SECRET_KEY logs everyone out, new Active Record keys make encrypted columns unreadable. A
 * secret the .env and the store give differently is refused, naming both places: which one the
 * database was written with is not for micropod to guess. Writes nothing.
 */
export async function adoptedConfig(seedEnv: string, stored: SeedSecrets, dataDir: string, targetEnv: string): Promise<AdoptedConfig> {
  // Load errors (bad values, both spellings) name the seed's own .env and its lines.
  await loadConfig(seedEnv, { dataDirOverride: dataDir });
  const text = await readFile(seedEnv, "utf8");
  const fromEnv = new Map(parseEnvText(text, seedEnv).entries.filter((e) => e.value !== "").map((e) => [canonicalName(e.key) ?? e.key, e] as const));
  const problems: Problem[] = [...stored.problems];
  const dataLine = fromEnv.get("DATA_DIR");
  if (dataLine && dataLine.value !== dataDir) {
    problems.push({ file: seedEnv, line: dataLine.line, path: "DATA_DIR", message: `is ${dataLine.value}, but the adopted data is at ${dataDir}: pass --data-dir ${dataLine.value}, or remove the line` });
  }
  const persist = new Map<string, string>();
  const reused: ReusedSecret[] = [];
  const generated: string[] = [];
  // A secret only an optional service uses (REPLICATION_PASSWORD) is wanted only with its profile on.
  const wanted = generatedVariables.filter((n) => profileAllows(variableByName.get(n)!, fromEnv));
  for (const name of wanted) {
    const env = fromEnv.get(name);
    const kept = stored.secrets.get(name);
    if (env && kept && env.value !== kept.value) {
      problems.push({ file: seedEnv, line: env.line, path: env.key, message: `differs from the value the seed stored in ${kept.file}:${kept.line}: keep the one the database was written with in one of the two places` });
    } else if (env) reused.push({ name, from: `${seedEnv}:${env.line}`, persisted: false });
    else if (kept) {
      persist.set(name, kept.value);
      reused.push({ name, from: `${kept.file}:${kept.line}`, persisted: true });
    } else if (GENERATED_ON_ADOPT.has(name)) {
      persist.set(name, generateSecrets([name])[name]!);
      generated.push(name);
    }
  }
  const missing = wanted.filter((n) => !fromEnv.has(n) && !stored.secrets.has(n) && !GENERATED_ON_ADOPT.has(n));
  for (const name of missing) {
    const seedName = variableByName.get(name)!.aliases?.[0] ?? name;
    problems.push({ file: seedEnv, path: seedName, message: `not in the seed's .env nor stored in ${stored.read.length ? stored.read.join(", ") : "its secrets directory"}: adopting would generate a new one (${consequence(name)}); set it in the .env or pass --seed-secrets DIR` });
  }
  if (problems.length) throw new ConfigError(`cannot adopt the seed's configuration: ${problems.length} problem${problems.length === 1 ? "" : "s"}`, problems);
  const envText = dataLine ? text : `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}\n# Added by micropod adopt: the seed's data, adopted in place.\nDATA_DIR=${dataDir}\n`;
  return { envText, persist, reused, generated, config: await dryLoad(envText, persist, dataDir, targetEnv), versionGiven: fromEnv.has("MASTODON_VERSION") };
}

function consequence(name: string): string {
  if (name === "SECRET_KEY") return "every session ends";
  if (name === "OTP_SECRET") return "two-factor logins break";
  if (name.startsWith("VAPID")) return "Web Push subscriptions stop";
  if (name === "DB_PASS") return "the database refuses the role";
  return "encrypted columns become unreadable";
}

/**
 * Load the configuration to be written, from a scratch copy: proves it loads with nothing left
 * to generate before anything on the host changes. The file and paths are then the real ones.
 */
async function dryLoad(envText: string, persist: ReadonlyMap<string, string>, dataDir: string, target: string): Promise<MicropodConfig> {
  const scratch = await mkdtemp(join(tmpdir(), "micropod-adopt-"));
  try {
    const env = join(scratch, "micropod.env");
    const data = join(scratch, "data");
    await writeFile(env, envText, { mode: 0o600 });
    if (persist.size) {
      await mkdir(join(data, "private"), { recursive: true, mode: 0o700 });
      await writeFile(join(data, "private", "secrets.env"), renderSecretsFile(persist), { mode: 0o600 });
    }
    const config = await loadConfig(env, { dataDirOverride: data });
    if (config.generatedSecrets.length) throw new ConfigError("the adopted configuration would generate secrets", config.generatedSecrets.map((n) => ({ path: n, message: "would be generated" })));
    return { ...config, envFile: target, vars: { ...config.vars, DATA_DIR: dataDir }, paths: configPaths(dataDir, config.vars.LOG_DIR!) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
