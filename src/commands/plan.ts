import type { Command as Program } from "commander";
import type { MicropodConfig } from "../config/model.js";
import { formatProblem } from "../core/errors.js";
import { emptyObservedState, observeFiles, type ObservedState } from "../engine/observe.js";
import { observePlaced } from "../engine/placement.js";
import { planStart, type StartPlan } from "../engine/plan.js";
import { renderPlan } from "../engine/render.js";
import { dependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import { hostsInUse, serviceHost } from "../suite/placement.js";
import { type PlacementPfRules, placementPfRules } from "../host/placement-pf.js";
import type { Context } from "../core/context.js";
import { bundledSampleEnv, type SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export interface PlanCommandOptions extends SuiteOptions {
  readonly json?: boolean;
  /** Plan for a fresh host even when podman is reachable. */
  readonly fresh?: boolean;
  readonly services?: readonly string[];
}

/** The whole plan as data: what `--json` prints and the text view renders. */
export interface PlanDocument {
  readonly config: {
    readonly envFile: string;
    readonly sample: boolean;
    readonly secretsFile: string;
    readonly generatedSecrets: readonly string[];
    readonly warnings: readonly string[];
  };
  readonly suite: { readonly file: string; readonly project: string; readonly services: readonly string[] };
  readonly observed: string;
  readonly images: ReadonlyArray<{ service: string; image: string; action: string; inputHash: string; after: readonly string[] }>;
  readonly buildGroups: readonly (readonly string[])[];
  /** For a suite placed on several hosts: each host, the addresses placement derived, and each host's pf rules. */
  readonly placement?: {
    readonly hosts: ReadonlyArray<{ name: string; url?: string; address?: string; services: readonly string[]; pf: PlacementPfRules }>;
    readonly addresses: ReadonlyArray<{ service: string; variable: string; value: string; reaches: string; on: string }>;
  };
  readonly startOrder: ReadonlyArray<{
    service: string;
    /** The host it runs on (placed suites only). */
    host?: string;
    container: string;
    action: string;
    reason: string;
    waitsFor: ReadonlyArray<{ service: string; condition: string }>;
  }>;
  readonly commands: readonly string[];
  readonly warnings: readonly string[];
  /** True when start would build, create, start or replace nothing (it would only check readiness). */
  readonly upToDate: boolean;
}

/**
 * `micropod plan`: everything `start` would do, computed without changing anything. Runs on any
 * machine: with no podman reachable it plans for a fresh host.
 */
export async function plan(ctx: Pick<Context, "runner" | "redactor" | "out">, opts: PlanCommandOptions): Promise<PlanDocument> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts, { allowSample: true });
  const { observed, source } = await observeForPlan(ctx, suite, opts.fresh ?? false);
  const p = planStart(suite, { vars: config.vars, secretNames: config.secretNames }, observed, {
    logDir: config.paths.logs,
    ...(opts.services?.length ? { services: opts.services } : {}),
  });
  const doc = planDocument(config, suite, p, source, renderPlan(p, ctx.redactor));
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderPlanText(doc).join("\n"));
  return doc;
}

async function observeForPlan(ctx: Pick<Context, "runner">, suite: Suite, fresh: boolean): Promise<{ observed: ObservedState; source: string }> {
  const files = await observeFiles(suite);
  if (fresh) return { observed: { ...emptyObservedState(), ...files }, source: "a fresh host (--fresh)" };
  try {
    const observed = await observePlaced(ctx.runner, suite);
    return { observed, source: `podman ${observed.podmanVersion ?? ""}`.trim() };
  } catch {
    // No podman here, or not allowed to ask it (podman on FreeBSD needs root): plan from scratch.
    return { observed: { ...emptyObservedState(), ...files }, source: "a fresh host (podman not reachable)" };
  }
}

export function planDocument(config: MicropodConfig, suite: Suite, p: StartPlan, observed: string, commands: string[]): PlanDocument {
  const graph = dependencyGraph(suite);
  return {
    config: {
      envFile: config.envFile,
      sample: config.envFile === bundledSampleEnv,
      secretsFile: config.paths.secretsFile,
      generatedSecrets: config.generatedSecrets,
      warnings: (config.warnings ?? []).map(formatProblem),
    },
    suite: { file: suite.file, project: suite.project, services: [...suite.services.keys()] },
    observed,
    images: p.builds.map((b) => ({ service: b.service, image: b.image, action: b.action, inputHash: b.inputHash, after: b.after })),
    buildGroups: p.buildGroups,
    ...(suite.hosts ? { placement: placementOf(suite) } : {}),
    startOrder: p.containers.map((c) => ({
      service: c.service,
      ...(suite.hosts ? { host: c.host } : {}),
      container: c.container,
      action: c.action,
      reason: c.reason,
      waitsFor: graph.dependencies(c.service).map((d) => ({ service: d.service, condition: d.condition })),
    })),
    commands,
    warnings: p.warnings,
    upToDate:
      p.networks.length === 0 &&
      p.secrets.length === 0 &&
      p.pulls.length === 0 &&
      p.builds.every((b) => b.action === "up-to-date") &&
      p.containers.every((c) => c.action === "leave"),
  };
}

export function renderPlanText(doc: PlanDocument): string[] {
  const lines: string[] = [];
  const c = doc.config;
  lines.push(`Configuration: ${c.envFile}${c.sample ? " (the bundled sample: copy it to .env and edit it)" : ""}`);
  lines.push(
    c.generatedSecrets.length
      ? `  secrets to generate on first start, kept 0600 in ${c.secretsFile}: ${c.generatedSecrets.join(", ")}`
      : `  secrets: all set (${c.secretsFile})`,
  );
  for (const w of c.warnings) lines.push(`  warning: ${w}`);
  lines.push("", `Suite: ${doc.suite.project} (${doc.suite.file}), ${doc.suite.services.length} services; observed ${doc.observed}`);

  lines.push("", `Images (${doc.images.filter((i) => i.action === "build").length} to build, ${doc.images.filter((i) => i.action !== "build").length} up to date):`);
  doc.buildGroups.forEach((g, i) => lines.push(`  ${i + 1}. in parallel: ${g.join(", ")}`));
  for (const i of doc.images) lines.push(`  ${i.service}: ${i.image} ${i.action === "build" ? `build (inputs ${i.inputHash})` : "up to date"}${i.after.length ? ` after ${i.after.join(", ")}` : ""}`);

  if (doc.placement) lines.push(...renderPlacement(doc.placement));
  lines.push("", "Start order (each starts as soon as what it waits for holds):");
  for (const s of doc.startOrder) {
    const waits = s.waitsFor.map((w) => `${w.service} ${w.condition.replace(/^service_/, "")}`).join(", ");
    lines.push(`  ${s.service}${s.host ? ` on ${s.host}` : ""}: ${s.action} (${s.reason})${waits ? ` <- ${waits}` : ""}`);
  }
  for (const w of doc.warnings) lines.push(`warning: ${w}`);

  if (doc.upToDate) lines.push("", "Nothing to change: every image is up to date and every container runs its current definition.");
  lines.push("", doc.upToDate ? "Commands `micropod start` would run (readiness checks only):" : "Commands `micropod start` would run:");
  for (const cmd of doc.commands) lines.push(`  ${cmd}`);
  return lines;
}

function placementOf(suite: Suite): NonNullable<PlanDocument["placement"]> {
  return {
    hosts: hostsInUse(suite).map((h) => {
      const def = suite.hosts?.get(h);
      return {
        name: h,
        ...(def?.url ? { url: def.url } : {}),
        ...(def?.address ? { address: def.address } : {}),
        services: [...suite.services.values()].filter((s) => !s.buildOnly && serviceHost(s) === h).map((s) => s.name),
        pf: placementPfRules(suite, h),
      };
    }),
    addresses: (suite.links ?? []).map((l) => ({ service: l.client, variable: l.variable, value: l.value, reaches: l.server, on: l.serverHost })),
  };
}

function renderPlacement(p: NonNullable<PlanDocument["placement"]>): string[] {
  const lines = ["", "Hosts:"];
  for (const h of p.hosts) lines.push(`  ${h.name} (${h.url ?? "local podman"}${h.address ? `, ${h.address}` : ""}): ${h.services.join(", ")}`);
  if (p.addresses.length) lines.push("", "Cross-host addresses:");
  for (const a of p.addresses) lines.push(`  ${a.service}: ${a.variable}=${a.value} (${a.reaches} on ${a.on})`);
  for (const h of p.hosts) {
    const rules = [...h.pf.definitions, ...h.pf.translation, ...h.pf.filter];
    if (rules.length) lines.push("", `pf rules on ${h.name}:`, ...rules.map((r) => `  ${r}`));
  }
  return lines;
}

export function registerPlan(program: Program, context: () => Context): void {
  withSuiteOptions(
    program
      .command("plan")
      .description("print what `start` would do: configuration verdict, builds, start order, every podman command (changes nothing)")
      .argument("[services...]", "plan only these services and what they need"),
  )
    .option("--fresh", "plan for a fresh host, without asking podman what exists")
    // --json is the global flag (JSON logs); for plan it also means a JSON document on stdout.
    .action(async (services: string[], _opts: PlanCommandOptions, cmd: Program) => {
      await plan(context(), { ...cmd.optsWithGlobals<PlanCommandOptions>(), services });
    });
}
