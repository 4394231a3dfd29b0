import { sysrcGet, sysrcSet } from "./tools/sysrc.js";
import { type HostStep, type HostContext, runAction } from "./resource.js";

/** rc.conf values the host must have, and the sysrc call that sets those that differ. */
export async function rcConfPlan(ctx: HostContext, wanted: Readonly<Record<string, string>>): Promise<{ differing: string[]; actions: HostStep[] }> {
  const differing: string[] = [];
  for (const [name, value] of Object.entries(wanted)) {
    // Unknown variables exit non-zero: the same as "not set".
    const r = await ctx.inspect.run(sysrcGet(ctx.options.root, name), { allowFailure: true });
    if (r.exitCode !== 0 || r.stdout.trim() !== value) differing.push(name);
  }
  if (differing.length === 0) return { differing, actions: [] };
  const set = Object.fromEntries(differing.map((n) => [n, wanted[n]!]));
  return { differing, actions: [runAction(ctx, sysrcSet(ctx.options.root, set))] };
}
