import { UsageError } from "../core/errors.js";
import type { Service, Suite } from "../suite/model.js";
import { roleService, roleServiceName } from "../suite/roles.js";

/** The service or a clear error listing the ones the suite has. */
export function serviceOf(suite: Suite, name: string): Service {
  const s = suite.services.get(name);
  if (!s) throw new UsageError(`no service "${name}" in ${suite.file}`, [`services: ${[...suite.services.keys()].sort().join(", ")}`]);
  return s;
}

// The suite's roles live in suite/roles.ts; these names stay for the callers written against them.

/** The service that runs Rails tasks (tootctl, migrations): the `web` role. */
export const railsService = (suite: Suite): string => roleServiceName(suite, "web");
/** The `database` role. */
export const databaseService = (suite: Suite): string => roleServiceName(suite, "database");
/** The `search` role. */
export const searchService = (suite: Suite): string => roleServiceName(suite, "search");
/** The build-only template image service (the `template` role) web, streaming and sidekiq run. */
export const templateService = (suite: Suite): Service => roleService(suite, "template");
export { templateUsers, writerServices } from "../suite/roles.js";
