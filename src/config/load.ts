import { join, resolve } from "node:path";
import { ConfigError, type Problem } from "../core/errors.js";
import type { Redactor } from "../core/redact.js";
import { readEnvFile, type EnvEntry, type ParsedEnvFile } from "./env-file.js";
import { derivedValues, profileAllows, withDefaults } from "./derive.js";
import type { ConfigPaths, MicropodConfig } from "./model.js";
import { crossFieldProblems } from "./rules.js";
import { validateValues, type LocatedValue } from "./schema.js";
import { generateSecrets, readSecretsFile, secretsFileModeProblem, writeGeneratedSecrets } from "./secrets.js";
import { closestName } from "./typos.js";
import { aliasTarget, canonicalName, derivedVariables, generatedVariables, variableByName, variables } from "./variables.js";

export interface LoadOptions {
  /** Use this data directory instead of DATA_DIR (tests, and `plan` on a machine without one). */
  readonly dataDirOverride?: string;
}

/**
 * Read and check a .env file: syntax, schema, defaults and derived values, cross-field rules;
 * every problem at once as one ConfigError. Secrets left blank take the persisted value from
 * <DATA_DIR>/private/secrets.env, else are generated in memory and listed in `generatedSecrets`.
 * Writes nothing: `persistGeneratedSecrets` does that, once a verb decides to change the host.
 */
export async function loadConfig(envFile: string, opts: LoadOptions = {}): Promise<MicropodConfig> {
  const path = resolve(envFile);
  const parsed = await readEnvFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read ${path}`, [{ file: path, message: err.code === "ENOENT" ? "no such file" : err.message }]);
  });
  const problems: Problem[] = [...parsed.problems];
  const warnings: Problem[] = [];
  const { known, blanks, passthrough } = classify(parsed, problems, warnings);

  // A DATA_DIR that is not absolute is reported by validation below; its secrets are not looked
  // for anywhere else (reading the default directory's would mix in another instance's).
  const given = known.get("DATA_DIR")?.value;
  const dataDir = opts.dataDirOverride ?? (given === undefined ? variableByName.get("DATA_DIR")!.default! : given.startsWith("/") ? given : undefined);
  const secretsFile = dataDir === undefined ? "" : join(dataDir, "private", "secrets.env");
  const persisted = dataDir === undefined ? new Map<string, EnvEntry>() : await readPersisted(secretsFile, problems, warnings);

  const effective = new Map(known);
  for (const name of generatedVariables) {
    const stored = persisted.get(name);
    if (!stored) continue;
    const fromEnv = known.get(name);
    if (!fromEnv) effective.set(name, { value: stored.value, file: secretsFile, line: stored.line });
    else if (fromEnv.value !== stored.value) {
      warnings.push({ file: path, line: fromEnv.line, path: name, message: `differs from the value persisted in ${secretsFile}; the .env value is used` });
    }
  }

  problems.push(...validateValues(effective, blanks, path));
  const final = withDefaults(effective, path);
  if (opts.dataDirOverride !== undefined) final.set("DATA_DIR", { value: opts.dataDirOverride, file: path });
  problems.push(...crossFieldProblems(final, blanks, path));
  if (problems.length > 0) throw new ConfigError(`${path}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the configuration`, sortProblems(problems, path));

  const missing = generatedVariables.filter((n) => !final.has(n) && profileAllows(variableByName.get(n)!, final));
  const generated = generateSecrets(missing);
  const vars: Record<string, string> = Object.fromEntries(passthrough.map((e) => [e.key, e.value]));
  for (const v of variables) {
    const value = final.get(v.name)?.value ?? generated[v.name];
    if (value !== undefined) vars[v.name] = value;
  }
  Object.assign(vars, derivedValues(vars));

  return {
    envFile: path,
    vars,
    secretNames: secretNameSet(),
    generatedSecrets: generatedVariables.filter((n) => generated[n] !== undefined),
    paths: configPaths(vars.DATA_DIR!, vars.LOG_DIR!),
    warnings,
  };
}

/** Persist the secrets this load generated (nothing to do when none were). */
export async function persistGeneratedSecrets(config: MicropodConfig): Promise<void> {
  if (config.generatedSecrets.length === 0) return;
  const generated = new Map(config.generatedSecrets.map((n) => [n, config.vars[n]!] as const));
  await writeGeneratedSecrets(config.paths.secretsFile, generated);
}

/** Register every secret value of the configuration, so no log line or plan shows it. */
export function registerSecrets(config: MicropodConfig, redactor: Redactor): void {
  for (const name of config.secretNames) redactor.add(config.vars[name]);
}

export function configPaths(dataDir: string, logDir: string): ConfigPaths {
  const state = join(dataDir, "state");
  return { data: dataDir, secretsFile: join(dataDir, "private", "secrets.env"), state, lock: join(state, "micropod.lock"), logs: logDir };
}

/** Secret variables and their Mastodon-named copies. */
function secretNameSet(): ReadonlySet<string> {
  const names = new Set(variables.filter((v) => v.secret).map((v) => v.name));
  for (const [derived, source] of Object.entries(derivedVariables)) if (names.has(source)) names.add(derived);
  return names;
}

/**
 * Sort the .env's entries: known variables with a value, known ones written blank, unknown
 * ones passed through. A seed-suite alias counts as the variable it spells; two spellings with
 * different values, a misspelt known name or a derived name set by hand is a problem.
 */
function classify(parsed: ParsedEnvFile, problems: Problem[], warnings: Problem[]) {
  const known = new Map<string, LocatedValue>();
  const blanks = new Map<string, LocatedValue>();
  const passthrough: EnvEntry[] = [];
  for (const e of parsed.entries) {
    const at = { file: parsed.file, line: e.line, path: e.key };
    const name = canonicalName(e.key);
    if (name !== undefined) {
      const located: LocatedValue = { value: e.value, file: parsed.file, line: e.line, ...(e.key !== name ? { name: e.key } : {}) };
      const earlier = known.get(name);
      if (e.value === "" || variableByName.get(name)!.kind.blank?.includes(e.value)) {
        if (!earlier && !blanks.has(name)) blanks.set(name, located);
      } else if (!earlier) {
        known.set(name, located);
        blanks.delete(name);
      } else if (earlier.value !== e.value) {
        // The env-file reader already refuses one spelling written twice: this is the other one.
        const first = earlier.name ?? name;
        problems.push({ ...at, message: `${first} (line ${earlier.line}) and ${e.key} (line ${e.line}) are both ${name}, with different values: keep one of the two lines` });
      }
    } else if (e.key in derivedVariables) problems.push({ ...at, message: `set by micropod from ${derivedVariables[e.key]}; set ${derivedVariables[e.key]} instead` });
    else {
      const suggestion = closestName(e.key, [...variableByName.keys(), ...aliasTarget.keys()]);
      if (suggestion) problems.push({ ...at, message: `unknown variable; did you mean ${suggestion}?` });
      else {
        warnings.push({ ...at, message: "not a micropod variable; passed through unchanged for ${VAR} interpolation" });
        passthrough.push(e);
      }
    }
  }
  return { known, blanks, passthrough };
}

/** The persisted secrets by name. Its syntax errors are problems; an unreadable file is a warning. */
async function readPersisted(secretsFile: string, problems: Problem[], warnings: Problem[]): Promise<Map<string, EnvEntry>> {
  let parsed: ParsedEnvFile | undefined;
  try {
    parsed = await readSecretsFile(secretsFile);
  } catch (err) {
    warnings.push({ file: secretsFile, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)}); secrets listed as generated may already exist there` });
    return new Map();
  }
  if (!parsed) return new Map();
  problems.push(...parsed.problems);
  const modeWarning = await secretsFileModeProblem(secretsFile);
  if (modeWarning) warnings.push(modeWarning);
  return new Map(parsed.entries.filter((e) => e.value !== "").map((e) => [e.key, e]));
}

/** The .env's problems first, in line order, then the secrets file's. */
function sortProblems(problems: Problem[], envFile: string): Problem[] {
  const fileRank = (p: Problem) => (p.file === envFile ? 0 : 1);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => fileRank(a.p) - fileRank(b.p) || (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}
