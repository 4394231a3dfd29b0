import { variableByName } from "../config/variables.js";
import type { Suite } from "../suite/model.js";

/** One service's use of a secret that has no value: it starts without `target`. */
export interface MissingSecret {
  readonly service: string;
  readonly source: string;
  readonly target: string;
}

/**
 * The warnings about secrets without a value, at most one line per secret, naming the services.
 *
 * Silent for a blank optional secret of micropod's configuration (a secret variable that is
 * neither required nor generated: MY_MAIL_PASSWORD, S3_SECRET_ACCESS_KEY, ELASTIC_PASSWORD,
 * DEEPL_API_KEY). Blank is how such a feature is left off, and the configuration loader already
 * refuses the blank that is a mistake: a companion set without it (MY_MAIL_USER without
 * MY_MAIL_PASSWORD, ELASTIC_USER without ELASTIC_PASSWORD) or its feature switched on
 * (S3_ENABLED=true). Silent too for a secret of an optional service whose profile is off
 * (REPLICATION_PASSWORD): it is generated only with the profile. Every other empty secret is
 * worth a line: a variable a user's compose file names that the configuration lacks, a secret
 * file that is missing or empty.
 */
export function missingSecretWarnings(suite: Suite, missing: readonly MissingSecret[]): string[] {
  const bySecret = new Map<string, MissingSecret[]>();
  for (const m of missing) {
    if (optionalBlank(suite, m.source)) continue;
    const list = bySecret.get(m.source) ?? [];
    if (!list.some((x) => x.service === m.service && x.target === m.target)) list.push(m);
    bySecret.set(m.source, list);
  }
  return [...bySecret].map(([source, uses]) => {
    const src = suite.secrets.get(source);
    const why = src?.environment ? `${src.environment} is blank` : src?.file ? `${src.file} is missing or empty` : "no source";
    const byTarget = new Map<string, string[]>();
    for (const u of uses) byTarget.set(u.target, [...(byTarget.get(u.target) ?? []), u.service]);
    const who = [...byTarget].map(([target, services]) => `${services.join(", ")} ${services.length === 1 ? "gets" : "get"} no ${target}`).join("; ");
    return `secret ${source} has no value (${why}): ${who}`;
  });
}

function optionalBlank(suite: Suite, source: string): boolean {
  const variable = suite.secrets.get(source)?.environment;
  const spec = variable === undefined ? undefined : variableByName.get(variable);
  return !!spec && spec.secret === true && !spec.required && (!spec.generated || spec.defaultWithProfile !== undefined);
}
