import type { PlanDocument } from "./plan.js";

/** What the text view of a plan shows beyond the plan itself. */
export interface PlanTextOptions {
  /** Every podman command, after the plan (`plan --commands`). */
  readonly commands: boolean;
}

/**
 * The plan as a reviewer reads it: a one-line summary first, then the configuration, the images in
 * build rounds and the start order, one line per image and per service saying what happens and
 * why, and what each service waits on. The podman command lines come only with --commands; the
 * bundled suite's plan fits in a terminal without them.
 */
export function renderPlanText(doc: PlanDocument, opts: PlanTextOptions): string[] {
  const lines = [summaryLine(doc), ...configurationLines(doc), "", ...imageLines(doc), ...(doc.placement ? placementLines(doc.placement) : []), "", ...startLines(doc)];
  for (const w of doc.warnings) lines.push(`warning: ${w}`);
  if (doc.upToDate) lines.push("", "Nothing to change: every image is up to date and every container runs its current definition.");
  const what = doc.upToDate ? "readiness checks" : "podman commands";
  // Up to date, only readiness checks can run, and only those of services something launched waits on.
  if (doc.upToDate && doc.commands.length === 0) lines.push("", "Commands `micropod start` would run: none (nothing starts, so nothing waits on a healthcheck)");
  else if (opts.commands) {
    lines.push("", `The ${doc.commands.length} ${what} \`micropod start\` would run:`);
    for (const cmd of doc.commands) lines.push(`  ${cmd}`);
  } else {
    lines.push("", `\`micropod plan --commands\` lists the ${doc.commands.length} ${what} \`micropod start\` would run; \`--json\` prints everything.`);
  }
  return lines;
}

const count = (n: number, what: string) => `${n} ${what}`;

/** `19 services: 16 to create, 3 build-only · 11 images to build, 0 cached · 2 networks, 9 secrets to create`. */
export function summaryLine(doc: PlanDocument): string {
  const by = (action: string) => doc.startOrder.filter((s) => s.action === action).length;
  const running = new Set(doc.startOrder.map((s) => s.service));
  const buildOnly = doc.suite.buildOnly.filter((s) => doc.images.some((i) => i.service === s)).length;
  const unselected = doc.suite.services.length - running.size - buildOnly;
  const services = [
    [by("create"), "to create"],
    [by("recreate"), "to recreate"],
    [by("start"), "to start"],
    [by("leave"), "unchanged"],
    [buildOnly, "build-only"],
    [unselected, "not selected"],
  ]
    .filter(([n], i) => i === 0 || (n as number) > 0)
    .map(([n, w]) => count(n as number, w as string));
  const built = doc.images.filter((i) => i.action === "build").length;
  const parts = [`${doc.suite.services.length} services: ${services.join(", ")}`, `${built} images to build, ${doc.images.length - built} cached`];
  const setup = [doc.setup.networks ? count(doc.setup.networks, "networks") : "", doc.setup.secrets ? count(doc.setup.secrets, "secrets") : ""].filter(Boolean);
  if (setup.length) parts.push(`${setup.join(", ")} to create`);
  return parts.join(" · ");
}

function configurationLines(doc: PlanDocument): string[] {
  const c = doc.config;
  const lines = [`Configuration: ${c.envFile}${c.sample ? " (the bundled sample: copy it to .env and edit it)" : ""}`];
  lines.push(
    c.generatedSecrets.length
      ? `  secrets to generate on first start, kept 0600 in ${c.secretsFile}: ${c.generatedSecrets.join(", ")}`
      : `  secrets: all set (${c.secretsFile})`,
  );
  for (const w of c.warnings) lines.push(`  warning: ${w}`);
  lines.push(`Suite: ${doc.suite.project} (${doc.suite.file}); observed ${doc.observed}`);
  return lines;
}

/** Left-aligned columns, the last one free. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd());
}

/** One line per image, in build rounds: a round's builds run side by side, each after the rounds before. */
function imageLines(doc: PlanDocument): string[] {
  if (!doc.images.length) return ["Images: none to build"];
  const round = new Map(doc.buildGroups.flatMap((g, i) => g.map((s) => [s, i + 1] as const)));
  const ordered = [...doc.images].sort((a, b) => (round.get(a.service) ?? 0) - (round.get(b.service) ?? 0));
  const head = doc.buildGroups.length ? `Images, built in ${doc.buildGroups.length} rounds (a round's builds run side by side):` : "Images:";
  return [
    head,
    ...columns(
      ordered.map((i) => [
        round.has(i.service) ? String(round.get(i.service)) : "-",
        i.service,
        i.action === "build" ? "build" : "cached",
        `${i.reason}${i.after.length ? ` (FROM ${i.after.join(", ")})` : ""}`,
      ]),
    ),
  ];
}

/** One line per service in start order: its action, why, and what it waits on with which condition. */
function startLines(doc: PlanDocument): string[] {
  const rows = doc.startOrder.map((s) => {
    const waits = s.waitsFor.map((w) => `${w.service} ${w.condition.replace(/^service_/, "")}`).join(", ");
    return [s.host ? `${s.service} on ${s.host}` : s.service, s.action, s.reason, waits ? `waits on ${waits}` : ""];
  });
  return ["Start order (each starts as soon as what it waits on holds):", ...columns(rows)];
}

/** A placed suite: its hosts, the addresses placement derived, and each host's pf rules. */
function placementLines(p: NonNullable<PlanDocument["placement"]>): string[] {
  const lines = ["", "Hosts:"];
  for (const h of p.hosts) lines.push(`  ${h.name} (${h.url ?? "local podman"}${h.address ? `, ${h.address}` : ""}): ${h.services.join(", ")}`);
  if (p.addresses.length) lines.push("", "Cross-host addresses:");
  for (const a of p.addresses) lines.push(`  ${a.service}: ${a.variable}=${a.value} (${a.reaches} on ${a.on})`);
  if (p.peers.length) lines.push("", "Peer hosts admitted (the services' own access rules):");
  for (const x of p.peers) lines.push(`  ${x.service}: ${x.variable}=${x.value}`);
  for (const h of p.hosts) {
    const rules = [...h.pf.definitions, ...h.pf.translation, ...h.pf.filter];
    if (rules.length) lines.push("", `pf rules on ${h.name}:`, ...rules.map((r) => `  ${r}`));
  }
  return lines;
}

