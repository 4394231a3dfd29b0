import { activeProfiles, PROFILES_VARIABLE } from "./profiles.js";
import type { LocatedValue } from "./schema.js";
import { derivedVariables, variables, type VariableSpec } from "./variables.js";

/**
 * Step two of loading: defaults for what is missing (in table order, so a default may name an
 * earlier variable as `${DOMAIN}`); a default that points at an optional service only while
 * COMPOSE_PROFILES activates its profile. Values that came from a file keep their location; defaults
 * have none.
 */
export function withDefaults(values: ReadonlyMap<string, LocatedValue>, envFile: string): Map<string, LocatedValue> {
  const out = new Map(values);
  for (const v of variables) {
    if (out.has(v.name) || v.default === undefined) continue;
    if (!profileAllows(v, out)) continue;
    const trigger = v.defaultWhenSet ? out.get(v.defaultWhenSet.variable) : undefined;
    const template = trigger ? v.defaultWhenSet!.value : v.default;
    let complete = true;
    const value = template.replace(/\$\{([A-Z0-9_]+)\}/g, (_, ref: string) => {
      const referenced = out.get(ref)?.value;
      if (referenced === undefined) complete = false;
      return referenced ?? "";
    });
    // A default built from a missing variable (notifications@ with no DOMAIN) is no default.
    if (complete) {
      // A default chosen by another variable is located where that one was written.
      out.set(v.name, trigger ? { value, file: trigger.file, line: trigger.line, because: trigger.name ?? v.defaultWhenSet!.variable } : { value, file: envFile });
    }
  }
  return out;
}

/** Whether a variable's default or generation applies: always, or while its profile is active. */
export function profileAllows(v: VariableSpec, values: ReadonlyMap<string, Pick<LocatedValue, "value">>): boolean {
  return v.defaultWithProfile === undefined || activeProfiles(values.get(PROFILES_VARIABLE)?.value).has(v.defaultWithProfile);
}

/** The Mastodon-named copies (LOCAL_DOMAIN, SECRET_KEY_BASE, DB_POOL, SMTP_*, ES_*, AWS_*). */
export function derivedValues(vars: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, source] of Object.entries(derivedVariables)) {
    const value = vars[source];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
