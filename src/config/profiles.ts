/**
 * COMPOSE_PROFILES: the Compose profiles to activate, comma-separated, as Compose itself reads the
 * variable (docs.docker.com, "Using profiles with Compose"). The suite's loader leaves out the
 * services of the other profiles (suite/profiles.ts); the configuration gives the variables that
 * point at an optional service their defaults only when its profile is active (withDefaults).
 */
export const PROFILES_VARIABLE = "COMPOSE_PROFILES";

/** The profiles COMPOSE_PROFILES activates: its comma-separated names, blanks ignored. */
export function activeProfiles(value: string | undefined): ReadonlySet<string> {
  return new Set((value ?? "").split(",").map((p) => p.trim()).filter((p) => p !== ""));
}
