import { PROFILES_VARIABLE } from "../config/profiles.js";
import type { Report } from "./normalise.js";
import type { Service } from "./model.js";

// Compose profiles (compose-spec 15-profiles.md; docs.docker.com "Using profiles with Compose"):
// a service with `profiles:` is part of the suite only when one of its profiles is active;
// a service without is always there. Compose reads the active profiles from COMPOSE_PROFILES
// (comma-separated), in the environment or the .env file; micropod reads the same variable from
// its configuration. This is how the bundled suite's optional services (redis-cache,
// postgresql-replica) are switched on.
//
// A dependency on a service left out is an error, as Compose makes it, unless the dependency says
// `required: false`: then it is dropped, and the dependent starts without waiting for it.

/** The profiles a raw service lists under `profiles:` (schema-checked to be a list of strings). */
function profilesOf(raw: unknown): readonly string[] {
  const p = (raw as { profiles?: unknown } | undefined)?.profiles;
  return Array.isArray(p) ? p.map(String) : [];
}

/** Names of the services the active profiles leave out, each with the profiles that would bring it in. */
export function servicesLeftOut(rawServices: Readonly<Record<string, unknown>>, active: ReadonlySet<string>): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [name, raw] of Object.entries(rawServices)) {
    const profiles = profilesOf(raw);
    if (profiles.length > 0 && !profiles.some((p) => active.has(p))) out.set(name, profiles);
  }
  return out;
}

/**
 * The services with their dependencies on left-out services resolved: an optional one
 * (`required: false`) dropped, a required one reported with the profile that brings it in.
 */
export function withoutLeftOut(services: ReadonlyMap<string, Service>, leftOut: ReadonlyMap<string, readonly string[]>, report: Report): Map<string, Service> {
  const out = new Map<string, Service>();
  for (const [name, s] of services) {
    for (const d of s.dependsOn) {
      const profiles = leftOut.get(d.service);
      if (profiles && d.required) {
        report(`services/${name}/depends_on/${d.service}`, `${d.service} runs only with the profile ${profiles.join(" or ")}: add it to ${PROFILES_VARIABLE}, or make this dependency required: false`);
      }
    }
    const dependsOn = s.dependsOn.filter((d) => !leftOut.has(d.service));
    out.set(name, dependsOn.length === s.dependsOn.length ? s : { ...s, dependsOn });
  }
  return out;
}
