import { rm } from "node:fs/promises";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { renderCommand } from "../../core/command.js";
import { MicropodError, PrerequisiteError } from "../../core/errors.js";
import { diffLines } from "../diff.js";
import { ownership, readIfExists } from "../files.js";
import { hostPath } from "../options.js";
import { mergePfConf } from "../pf-merge.js";
import { type Egress, renderPfConf } from "../pf-rules.js";
import { type HostContext, type HostResource, type Plan, ok } from "../resource.js";
import { kldloadPf, pfctlLoad, pfctlParse } from "../tools/pf.js";
import { parseRouteInterface, routeGetDefault } from "../tools/route.js";

export const PF_CONF = "/etc/pf.conf";
/** The candidate ruleset pfctl checks before it may replace /etc/pf.conf. */
export const PF_CANDIDATE = "/etc/pf.conf.micropod-new";

export async function detectEgress(ctx: HostContext): Promise<{ egress: Egress; notes: string[] }> {
  const notes: string[] = [];
  const routeIf = async (family: "inet" | "inet6") => {
    const r = await ctx.inspect.run(routeGetDefault(family), { allowFailure: true });
    return r.exitCode === 0 ? parseRouteInterface(r.stdout) : undefined;
  };
  const v4 = ctx.options.egress4 ?? (await routeIf("inet"));
  if (!v4) throw new PrerequisiteError("no IPv4 default route, so no egress interface for the containers' NAT", "micropod prepare-host --egress-v4 <interface>");
  let v6 = ctx.options.egress6 ?? (await routeIf("inet6"));
  if (!v6) {
    notes.push(`no IPv6 default route: IPv6 NAT goes out through ${v4} (override with --egress-v6)`);
    v6 = v4;
  }
  return { egress: { v4, v6 }, notes };
}

export const pf: HostResource = {
  name: "pf",
  checks: (o) => `the egress interfaces (${o.egress4 ? `--egress-v4 ${o.egress4}` : "route -n get default"}${o.egress6 ? `, --egress-v6 ${o.egress6}` : ", route -n get -inet6 default"}); ${PF_CONF} with podman's NAT rules, accepted by pfctl -nf`,
  async plan(ctx): Promise<Plan> {
    const { egress, notes } = await detectEgress(ctx);
    const rendered = await renderPfConf(ctx.options.packageDir, egress);
    const current = await readIfExists(hostPath(ctx.options, PF_CONF));
    const owner = ownership(current);
    let desired = rendered;
    let refusal: string | undefined;
    let message = `${current === undefined ? "create" : "replace"} ${PF_CONF} (NAT out through ${egress.v4} / ${egress.v6}), check it with pfctl -nf, load it`;
    if (owner === "administrator") {
      const merge = mergePfConf(current!, rendered);
      desired = merge.content;
      message = `add ${merge.added.length} missing line(s) to the administrator's ${PF_CONF}, check it with pfctl -nf, load it`;
      if (merge.conflicts.length) {
        message = `the administrator's ${PF_CONF} says otherwise on ${merge.conflicts.length} line(s) micropod needs`;
        for (const c of merge.conflicts) notes.push(`yours: ${c.theirs}\n  micropod needs: ${c.ours}`);
        if (!ctx.options.force) refusal = `${PF_CONF} is the administrator's and conflicts with what podman's networks need; rerun with --force to apply the diff shown (a backup is kept)`;
      }
    }
    if (current === desired) return ok(`${PF_CONF} has podman's NAT rules (egress ${egress.v4} / ${egress.v6})`, notes);
    return { message, actions: [replacePfConf(ctx, current, desired)], notes, refusal };
  },
};

/** kldload, write the candidate, pfctl -nf it; only then replace /etc/pf.conf (backup kept) and load it. */
function replacePfConf(ctx: HostContext, current: string | undefined, desired: string) {
  const candidate = hostPath(ctx.options, PF_CANDIDATE);
  const target = hostPath(ctx.options, PF_CONF);
  const steps = [kldloadPf(), pfctlParse(candidate), pfctlLoad(target)] as const;
  return {
    diff: [...diffLines(PF_CONF, current, desired), ...steps.map((c) => `$ ${renderCommand(c)}`)],
    async apply() {
      await ctx.runner.run(steps[0]);
      await writeFileAtomic(candidate, desired, { mode: 0o600 });
      try {
        await ctx.runner.run(steps[1]);
      } catch (err) {
        const details = err instanceof MicropodError ? err.details : [String(err)];
        throw new MicropodError(`pfctl rejected the new ruleset: ${PF_CONF} is unchanged and pf was not reloaded`, err instanceof MicropodError ? err.exitCode : 1, details);
      } finally {
        await rm(candidate, { force: true });
      }
      await writeFileAtomic(target, desired, { backup: true });
      await ctx.runner.run(steps[2]);
    },
  };
}
