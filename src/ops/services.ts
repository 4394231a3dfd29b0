import { UsageError } from "../core/errors.js";
import type { Service, Suite } from "../suite/model.js";

/** The service or a clear error listing the ones the suite has. */
export function serviceOf(suite: Suite, name: string): Service {
  const s = suite.services.get(name);
  if (!s) throw new UsageError(`no service "${name}" in ${suite.file}`, [`services: ${[...suite.services.keys()].sort().join(", ")}`]);
  return s;
}

/** The service that runs Rails tasks (tootctl, migrations): `web`. */
export const railsService = "web";
/** The database service. */
export const databaseService = "postgresql";
export const searchService = "opensearch";

/** Services that write to the database: web, then every sidekiq queue in file order. A restore must not race them. */
export function writerServices(suite: Suite): string[] {
  const runs = [...suite.services.values()].filter((s) => !s.buildOnly);
  return [...runs.filter((s) => s.name === "web"), ...runs.filter((s) => s.name.startsWith("sidekiq"))].map((s) => s.name);
}

/** The build-only template image service (`mastodon`) web, streaming and sidekiq run. */
export function templateService(suite: Suite): Service {
  const t = [...suite.services.values()].find((s) => s.buildOnly && s.build);
  if (!t) throw new UsageError(`${suite.file} has no build-only template service (x-micropod: {build-only: true})`);
  return t;
}

/** Every running service built from the template image: what an upgrade recreates. */
export function templateUsers(suite: Suite): string[] {
  const image = templateService(suite).image;
  return [...suite.services.values()].filter((s) => !s.buildOnly && s.image === image).map((s) => s.name);
}
