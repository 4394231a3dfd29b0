import type { Command as Program } from "commander";
import type { MicropodConfig } from "../config/model.js";
import { formatProblem } from "../core/errors.js";
import { emptyObservedState, observeFiles, type ObservedState } from "../engine/observe.js";
import { observePlaced } from "../engine/placement.js";
import { planStart, type StartPlan } from "../engine/plan.js";
import { renderPlan } from "../engine/render.js";
import { renderPlanText } from "./plan-text.js";
import { dependencyGraph } from "../suite/graph.js";
import type { Suite } from "../suite/model.js";
import { hostsInUse, placedPeers, serviceHost } from "../suite/placement.js";
import { type PlacementPfRules, placementPfRules } from "../host/placement-pf.js";
import type { Context } from "../core/context.js";
import { bundledSampleEnv, type SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export interface PlanCommandOptions extends SuiteOptions {
  readonly json?: boolean;
  /** Plan for a fresh host even when podman is reachable. */
  readonly fresh?: boolean;
  readonly services?: readonly string[];
  /** Print every podman command start would run, after the plan. */
  readonly commands?: boolean;
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
  readonly suite: { readonly file: string; readonly project: string; readonly services: readonly string[]; readonly buildOnly: readonly string[] };
  /** Networks and podman secrets start would create or replace. */
  readonly setup: { readonly networks: number; readonly secrets: number };
  readonly observed: string;
  readonly images: ReadonlyArray<{ service: string; image: string; action: string; reason: string; inputHash: string; after: readonly string[] }>;
  readonly buildGroups: readonly (readonly string[])[];
  /** For a suite placed on several hosts: each host, the addresses placement derived, and each host's pf rules. */
  readonly placement?: {
    readonly hosts: ReadonlyArray<{ name: string; url?: string; address?: string; services: readonly string[]; pf: PlacementPfRules }>;
    readonly addresses: ReadonlyArray<{ service: string; variable: string; value: string; reaches: string; on: string }>;
    /** The other hosts' addresses a service that admits its clients by address is told (x-micropod peers-variable). */
    readonly peers: ReadonlyArray<{ service: string; variable: string; value: string }>;
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
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderPlanText(doc, { commands: opts.commands ?? false }).join("\n"));
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
    suite: {
      file: suite.file,
      project: suite.project,
      services: [...suite.services.keys()],
      buildOnly: [...suite.services.values()].filter((s) => s.buildOnly).map((s) => s.name),
    },
    setup: { networks: p.networks.length, secrets: p.secrets.length },
    observed,
    images: p.builds.map((b) => ({ service: b.service, image: b.image, action: b.action, reason: b.reason, inputHash: b.inputHash, after: b.after })),
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
    peers: placedPeers(suite),
  };
}

export function registerPlan(program: Program, context: () => Context): void {
  withSuiteOptions(
    program
      .command("plan")
      .description("print what `start` would do and why: a summary, the configuration verdict, builds, start order (changes nothing)")
      .argument("[services...]", "plan only these services and what they need"),
  )
    .option("--fresh", "plan for a fresh host, without asking podman what exists")
    .option("--commands", "also print every podman command `start` would run")
    // --json is the global flag (JSON logs); for plan it also means a JSON document on stdout.
    .action(async (services: string[], _opts: PlanCommandOptions, cmd: Program) => {
      await plan(context(), { ...cmd.optsWithGlobals<PlanCommandOptions>(), services });
    });
}
