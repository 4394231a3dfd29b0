import { renderCommand } from "../core/command.js";
import type { Redactor } from "../core/redact.js";
import type { StartPlan } from "./plan.js";

/**
 * Every podman command `start` would run for this plan, in the order it would first run them,
 * secrets masked. Builds marked up to date and containers left alone contribute nothing; a
 * readiness check appears as its watcher (one exec repeating the check inside the container) and
 * its probe from outside, once, as the command that is repeated.
 */
export function renderPlan(plan: StartPlan, redactor?: Redactor): string[] {
  const r = (c: Parameters<typeof renderCommand>[0]) => renderCommand(c, redactor);
  const lines: string[] = [];
  for (const n of plan.networks) lines.push(r(n.command));
  for (const s of plan.secrets) for (const c of s.commands) lines.push(r(c));
  for (const p of plan.pulls) lines.push(r(p.command));
  for (const b of plan.builds) if (b.action === "build") lines.push(r(b.command));
  for (const c of plan.containers) {
    for (const cmd of c.commands) lines.push(r(cmd));
    if (c.readiness.conditions.includes("service_healthy") && c.readiness.probe) {
      if (c.readiness.watch) lines.push(r(c.readiness.watch));
      lines.push(r(c.readiness.probe));
    }
    if (c.readiness.wait && c.action !== "leave") lines.push(r(c.readiness.wait));
  }
  return lines;
}
