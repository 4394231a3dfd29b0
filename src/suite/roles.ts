import { SuiteError } from "../core/errors.js";
import { dependencyGraph } from "./graph.js";
import { canonicalImage } from "./images.js";
import type { Report } from "./normalise.js";
import type { Service, Suite, SuiteRoles } from "./model.js";
import { sidekiqProcessOf } from "./sidekiq.js";

/**
 * Roles, not names (DESIGN principle 10): which service of the suite is the Mastodon template
 * image, the database, the search service, the web process (where Rails tasks run), the
 * streaming process and the Sidekiq scheduler, and which services write to the database. They are
 * declared once, in the compose file's top-level `x-micropod: roles:` block, and every verb reads
 * them here. A file without the block gets the bundled suite's names, where such a service exists.
 */
export const singleRoles = ["template", "database", "search", "web", "streaming", "scheduler"] as const;
export type SingleRole = (typeof singleRoles)[number];
export const roleNames = [...singleRoles, "writers"] as const;
export type RoleName = (typeof roleNames)[number];

export type { SuiteRoles };

/** The bundled suite's services (containerfiles/compose.yaml), the defaults for a file without `roles:`. */
export const bundledRoles: Readonly<Record<SingleRole, string>> = {
  template: "mastodon",
  database: "postgresql",
  search: "opensearch",
  web: "web",
  streaming: "streaming",
  scheduler: "sidekiq-scheduler",
};

/** What a declared `roles:` block must name: the verbs cannot work without them. */
export const requiredRoles: readonly SingleRole[] = ["template", "database", "web"];

const meaning: Readonly<Record<RoleName, string>> = {
  template: "the build-only image Mastodon's processes run",
  database: "the PostgreSQL service",
  search: "the OpenSearch service",
  web: "the Rails web process, where tootctl and migrations run",
  streaming: "the streaming API process",
  scheduler: "the one Sidekiq process serving the scheduler queue",
  writers: "the services that write to the database",
};

/** Why `service` cannot hold `role` in `services`, or undefined when it can. */
function fault(role: SingleRole, service: Service, services: ReadonlyMap<string, Service>, template: string | undefined): string | undefined {
  if (role === "template") return service.buildOnly ? undefined : `${service.name} is not build-only (x-micropod: {build-only: true}): the template is an image, never a container`;
  if (service.buildOnly) return `${service.name} is build-only and never runs: it cannot be ${meaning[role]}`;
  if (role === "web" && template !== undefined) {
    const t = services.get(template);
    // Upgrades run the migrations in a one-shot copy of web: it must run the template's new image.
    if (t && canonicalImage(t.image) !== canonicalImage(service.image)) return `${service.name} runs ${service.image}, not the template's image ${t.image}: migrations and tootctl run in web's image`;
  }
  if (role === "scheduler") {
    let queues: readonly string[] = [];
    try {
      queues = sidekiqProcessOf(service)?.queues ?? [];
    } catch {
      // A malformed sidekiq command is reported by the suite checks.
    }
    if (!queues.includes("scheduler")) return `${service.name} does not run Sidekiq on the scheduler queue (-q scheduler)`;
  }
  return undefined;
}

/** The bundled suite's names that exist in `services` with the kind their role needs. */
export function defaultRoles(services: ReadonlyMap<string, Service>): SuiteRoles {
  const out: Partial<Record<SingleRole, string>> = {};
  const has = (role: SingleRole) => {
    const s = services.get(bundledRoles[role]);
    return s !== undefined && fault(role, s, services, out.template) === undefined;
  };
  // template first: web's check reads it.
  for (const role of singleRoles) if (has(role)) out[role] = bundledRoles[role];
  return out;
}

/**
 * The roles of a loaded file: its top-level `x-micropod: roles:` block, checked (unknown role,
 * unknown service, a service of the wrong kind, a required role missing, more than one
 * scheduler), or the bundled defaults when the file has no block. Problems go to `report`.
 */
export function readRoles(extension: unknown, services: ReadonlyMap<string, Service>, report: Report): SuiteRoles {
  if (extension === undefined) return defaultRoles(services);
  if (!isMapping(extension)) {
    report("x-micropod", "must be a mapping (e.g. `roles:`)");
    return defaultRoles(services);
  }
  const block = extension.roles;
  if (block === undefined) return defaultRoles(services);
  if (!isMapping(block)) {
    report("x-micropod/roles", `must map roles to services (${roleNames.join(", ")})`);
    return {};
  }
  const roles: { -readonly [K in keyof SuiteRoles]: SuiteRoles[K] } = {};
  const exists = (name: unknown, at: string): name is string => {
    if (typeof name !== "string") {
      report(at, "must be a service name");
      return false;
    }
    if (!services.has(name)) report(at, `unknown service ${JSON.stringify(name)}`);
    return services.has(name);
  };
  for (const [key, value] of Object.entries(block)) {
    const at = `x-micropod/roles/${key}`;
    if (!(roleNames as readonly string[]).includes(key)) {
      report(at, `unknown role ${JSON.stringify(key)} (roles: ${roleNames.join(", ")})`);
      continue;
    }
    if (key === "writers") {
      const list = Array.isArray(value) ? value : [value];
      roles.writers = list.filter((n, i) => exists(n, Array.isArray(value) ? `${at}/${i}` : at));
      for (const n of roles.writers) if (services.get(n)!.buildOnly) report(at, `${n} is build-only and never runs: it cannot write to the database`);
      continue;
    }
    if (Array.isArray(value)) {
      const why = key === "scheduler" ? ": two schedulers would run Mastodon's periodic jobs twice" : "";
      report(at, `exactly one service is ${meaning[key as SingleRole]}, got ${value.length}${why}`);
      continue;
    }
    if (exists(value, at)) roles[key as SingleRole] = value;
  }
  // In singleRoles order, template first: a template that does not qualify is dropped before web is checked against it.
  for (const role of singleRoles) {
    const name = roles[role];
    if (name === undefined) continue;
    const why = fault(role, services.get(name)!, services, roles.template);
    if (!why) continue;
    report(`x-micropod/roles/${role}`, why);
    delete roles[role];
  }
  for (const role of requiredRoles) {
    if (roles[role] === undefined && !(role in block)) report("x-micropod/roles", `names no ${role} service (${meaning[role]})`);
  }
  return roles;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The suite's roles: as loaded, or the bundled defaults for a Suite value built without them. */
export function rolesOf(suite: Suite): SuiteRoles {
  return suite.roles ?? defaultRoles(suite.services);
}

/** The service holding `role`, or a SuiteError (exit 4) saying how to declare it. */
export function roleService(suite: Suite, role: SingleRole): Service {
  const name = rolesOf(suite)[role];
  const s = name === undefined ? undefined : suite.services.get(name);
  if (!s) {
    throw new SuiteError(`${suite.file} has no ${role} service (${meaning[role]})`, [
      { file: suite.file, path: "x-micropod/roles", message: `declare it: x-micropod: {roles: {${role}: <service>}} (see docs/compose.md)` },
    ]);
  }
  return s;
}

/** The name of the service holding `role` (see roleService). */
export const roleServiceName = (suite: Suite, role: SingleRole): string => roleService(suite, role).name;

/** Services that write to the database: declared, or web then every Sidekiq service in file order. */
export function writerServices(suite: Suite): string[] {
  const declared = rolesOf(suite).writers;
  if (declared) return [...declared];
  const web = rolesOf(suite).web;
  const runs = [...suite.services.values()].filter((s) => !s.buildOnly);
  const sidekiq = runs.filter((s) => s.name !== web && sidekiqProcessOf(s) !== undefined).map((s) => s.name);
  return [...(web !== undefined ? [web] : []), ...sidekiq];
}

/** Every running service whose container runs the template image (web, streaming, sidekiq in the bundled suite). */
export function templateUsers(suite: Suite): string[] {
  return dependencyGraph(suite).imageUsers(roleServiceName(suite, "template"));
}
