import type { Context } from "../core/context.js";
import { type ConvergeReport, converge } from "./converge.js";
import type { HostOptions } from "./options.js";
import { type PlatformFacts, isFreeBSD, requireChangeablePlatform } from "./platform.js";
import { renderResult, renderSummary } from "./report.js";
import { HostInspector, type HostResource } from "./resource.js";
import { hostResources } from "./resources/index.js";

export interface PrepareHostInput {
  /** Show what would change, change nothing (runs anywhere, as any user). */
  readonly check: boolean;
  readonly options: HostOptions;
  readonly platform: PlatformFacts;
  readonly resources?: readonly HostResource[];
}

/** "Linux 6.1.0-28-amd64" when this is not FreeBSD: the host tools must not be asked here. */
export const foreignSystem = (p: PlatformFacts): string | undefined => (isFreeBSD(p) ? undefined : `${p.system} ${p.release}`);

/** `micropod prepare-host`: converge the host's resources, printing each as it is done. */
export async function prepareHost(ctx: Pick<Context, "runner" | "logger" | "out">, input: PrepareHostInput): Promise<ConvergeReport> {
  if (!input.check) requireChangeablePlatform(input.platform);
  const inspect = new HostInspector(ctx.runner, foreignSystem(input.platform));
  const hostCtx = { inspect, runner: input.check ? inspect : ctx.runner, logger: ctx.logger, options: input.options };
  const report = await converge(input.resources ?? hostResources, hostCtx, {
    check: input.check,
    onResult: (r) => ctx.out(renderResult(r, input.check)),
  });
  ctx.out(renderSummary(report));
  return report;
}
