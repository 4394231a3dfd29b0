import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { SuiteError, type Problem } from "../core/errors.js";
import { checkSuite } from "./checks.js";
import { checkPeersVariables, checkServiceHosts, crossHostLinks, placeServices, readHosts } from "./placement.js";
import { activeProfiles } from "../config/profiles.js";
import { servicesLeftOut, withoutLeftOut } from "./profiles.js";
import { readRoles } from "./roles.js";
import { readComposeEnvFile } from "./compose-env-file.js";
import { interpolate, InterpolationError, type Vars } from "./interpolate.js";
import { LineCounter, Locator } from "./locate.js";
import { envFileEntries, networkOf, normaliseService, secretSourceOf, type Report } from "./normalise.js";
import { validateComposeSchema } from "./schema.js";
import type { Network, Service, Suite } from "./model.js";

/**
 * Load a Compose file the way Compose does, then check what Compose leaves to runtime:
 *
 * 1. YAML with anchors, aliases and `<<` merge keys;
 * 2. interpolation of every string value from `vars` (top-level `x-` fragments are skipped:
 *    they are only templates, already merged where they are used);
 * 3. the Compose Specification's JSON schema;
 * 4. normalisation (env_file, relative paths, durations, healthcheck tests), the suite
 *    checks in checks.ts and the roles of `x-micropod: roles:` (roles.ts); a service whose
 *    `profiles:` are none of COMPOSE_PROFILES is left out, as Compose leaves it (profiles.ts).
 *
 * Every problem found is reported at once in one SuiteError (exit 4), each with the file, line
 * when known, and the path of the value (`services/web/depends_on/redis`).
 */
type Raw = Record<string, unknown>;

export async function loadSuite(composeFile: string, vars: Readonly<Record<string, string>>): Promise<Suite> {
  const file = resolve(composeFile);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new SuiteError(`cannot read the compose file ${file}`, [{ file, message: (e as Error).message }]);
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SuiteError(
      `${file} is not valid YAML`,
      doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, message: e.message.split("\n")[0]! })),
    );
  }
  const locator = new Locator(doc, lines);
  const problems: Problem[] = [];
  const report: Report = (path, message) => problems.push({ file, line: locator.line(path), path, message });
  const fail = (): never => {
    throw new SuiteError(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the suite`, problems);
  };

  const parsed: unknown = doc.toJS({ maxAliasCount: -1 });
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SuiteError(`${file} is not a Compose file`, [{ file, message: "expected a mapping with services:" }]);
  }
  const warnings: string[] = [];
  const root = interpolateRoot(parsed as Raw, vars, report, warnings);
  if (problems.length > 0) fail();

  for (const p of validateComposeSchema(root, file)) problems.push({ ...p, line: locator.line(p.path ?? "") });
  if (problems.length > 0) fail();

  const dir = dirname(file);
  const project = typeof root.name === "string" ? root.name : projectNameFrom(dir);
  const allServices = (root.services ?? {}) as Record<string, Raw>;
  const leftOut = servicesLeftOut(allServices, activeProfiles(vars.COMPOSE_PROFILES));
  const rawServices = Object.fromEntries(Object.entries(allServices).filter(([name]) => !leftOut.has(name)));
  const envFiles = await readEnvFiles(rawServices, dir, vars, problems, report);

  const normalised = new Map<string, Service>();
  for (const [name, raw] of Object.entries(rawServices)) {
    normalised.set(name, normaliseService(name, raw, { project, dir, vars, envFiles, report }));
  }
  const services = withoutLeftOut(normalised, leftOut, report);

  const networks = new Map<string, Network>();
  for (const [key, v] of Object.entries((root.networks ?? {}) as Raw)) networks.set(key, networkOf(key, v, project));
  attachDefaultNetwork(services, networks, project);

  const volumes = new Map<string, { name: string; external: boolean }>();
  for (const [key, v] of Object.entries((root.volumes ?? {}) as Raw)) {
    const vol = (v ?? {}) as Raw;
    const external = vol.external === true || (typeof vol.external === "object" && vol.external !== null);
    volumes.set(key, { name: typeof vol.name === "string" ? vol.name : external ? key : `${project}_${key}`, external });
  }
  const secrets = new Map(Object.entries((root.secrets ?? {}) as Raw).map(([key, v]) => [key, secretSourceOf(key, v, dir)]));

  checkSuite({ services, networks, volumes, secrets }, report);
  const roles = readRoles(root["x-micropod"], services, report);
  const hosts = readHosts(root["x-micropod"], report);
  checkServiceHosts(services, hosts, report);
  checkPeersVariables(services, report);
  const links = crossHostLinks(services, hosts, report);
  if (problems.length > 0) fail();
  const placed = hosts ? { services: placeServices(services, hosts, links), hosts, links } : { services };
  return { project, file, networks, volumes, secrets, warnings, roles, ...placed };
}

/** Compose's default project name: the directory's name, lower-cased, [a-z0-9_-] only. */
function projectNameFrom(dir: string): string {
  return basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

function interpolateRoot(root: Raw, vars: Vars, report: Report, warnings: string[]): Raw {
  const out: Raw = {};
  for (const [key, value] of Object.entries(root)) {
    out[key] = key.startsWith("x-") ? value : interpolateTree(value, key, vars, report, warnings);
  }
  return out;
}

function interpolateTree(value: unknown, path: string, vars: Vars, report: Report, warnings: string[]): unknown {
  if (typeof value === "string") {
    try {
      const r = interpolate(value, vars);
      for (const name of r.unset) warnings.push(`${path}: variable ${name} is not set; substituting an empty string`);
      return r.value;
    } catch (e) {
      if (e instanceof InterpolationError) {
        report(path, e.message);
        return value;
      }
      throw e;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, `${path}/${i}`, vars, report, warnings));
  if (value && typeof value === "object") {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value as Raw)) out[k] = interpolateTree(v, `${path}/${k}`, vars, report, warnings);
    return out;
  }
  return value;
}

async function readEnvFiles(
  services: Record<string, Raw>,
  dir: string,
  vars: Vars,
  problems: Problem[],
  report: Report,
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const [name, raw] of Object.entries(services)) {
    for (const [i, entry] of envFileEntries(raw.env_file).entries()) {
      if (out.has(entry.path)) continue;
      const path = resolve(dir, entry.path);
      try {
        const { values, problems: fileProblems } = await readComposeEnvFile(path, vars);
        problems.push(...fileProblems);
        out.set(entry.path, values);
      } catch (e) {
        if (entry.required) report(typeof raw.env_file === "string" ? `services/${name}/env_file` : `services/${name}/env_file/${i}`, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        out.set(entry.path, {});
      }
    }
  }
  return out;
}

/** A service with neither networks nor network_mode joins the project's `default` network. */
function attachDefaultNetwork(services: Map<string, Service>, networks: Map<string, Network>, project: string): void {
  for (const [name, s] of services) {
    if (s.buildOnly || s.networks.length > 0 || s.networkMode !== undefined) continue;
    services.set(name, { ...s, networks: [{ name: "default", aliases: [] }] });
    if (!networks.has("default")) networks.set("default", networkOf("default", {}, project));
  }
}
