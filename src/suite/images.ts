/**
 * Image references as podman resolves them, for one question: is a service's image built by
 * some service of the suite, or can podman pull it?
 *
 * A reference's first component is a registry when it contains "." or ":" or is "localhost".
 * podman names a locally built image without a registry `localhost/<name>`, and without a tag
 * `:latest`; `canonicalImage` applies both so `micropod/x` and `localhost/micropod/x:latest`
 * compare equal.
 */
function split(ref: string): { registry?: string; rest: string } {
  const slash = ref.indexOf("/");
  if (slash < 0) return { rest: ref };
  const first = ref.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? { registry: first, rest: ref.slice(slash + 1) } : { rest: ref };
}

function withTag(rest: string): string {
  if (rest.includes("@")) return rest;
  const lastSlash = rest.lastIndexOf("/");
  return rest.slice(lastSlash + 1).includes(":") ? rest : `${rest}:latest`;
}

export function canonicalImage(ref: string): string {
  const { registry, rest } = split(ref.trim());
  return `${registry ?? "localhost"}/${withTag(rest)}`;
}

/**
 * Pullable without guessing: the reference names a registry other than localhost. Short names
 * (`redis:7`) are refused because podman resolves them through registries.conf, which differs
 * per host and prompts or fails when not on a terminal.
 */
export function isPullableReference(ref: string): boolean {
  const { registry } = split(ref.trim());
  return registry !== undefined && registry !== "localhost";
}
