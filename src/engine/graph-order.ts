import type { Suite } from "../suite/model.js";

/**
 * Dependency-order helpers over a suite. The suite loader has already rejected unknown targets
 * and cycles; these only order and select.
 */
export function closure(suite: Suite, roots: readonly string[], direction: "dependencies" | "dependents"): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    if (out.has(n) || !suite.services.has(n)) return;
    out.add(n);
    if (direction === "dependencies") for (const d of suite.services.get(n)!.dependsOn) visit(d.service);
    else for (const s of suite.services.values()) if (s.dependsOn.some((d) => d.service === n)) visit(s.name);
  };
  roots.forEach(visit);
  return out;
}

/** The selected services, each after its dependencies; ties in suite order. */
export function topoOrder(suite: Suite, selected: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (n: string, path: Set<string>) => {
    if (done.has(n) || path.has(n)) return;
    path.add(n);
    for (const d of suite.services.get(n)?.dependsOn ?? []) if (selected.has(d.service)) visit(d.service, path);
    done.add(n);
    out.push(n);
  };
  for (const n of suite.services.keys()) if (selected.has(n)) visit(n, new Set());
  return out;
}
