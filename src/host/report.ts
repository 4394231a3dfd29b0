import type { ConvergeReport } from "./converge.js";
import type { ResourceResult } from "./resource.js";

const indent = (text: string, pad: string) => text.split("\n").map((l) => `${pad}${l}`.trimEnd());

/** One resource as prepare-host prints it: status, name, message, then its diff and notes indented. */
export function renderResult(r: ResourceResult, check: boolean): string {
  const status = r.notInspected ? "unknown" : !r.changed ? "ok" : r.refusal ? "refused" : check ? "change" : "changed";
  const lines = [`${status.padEnd(8)}${r.name.padEnd(16)}${r.message}`];
  if (r.notInspected) lines.push(...indent(`on a FreeBSD host it checks: ${r.notInspected.checks}`, "    "));
  if (r.changed && r.diff) lines.push(...indent(r.diff, "    "));
  for (const n of r.notes) lines.push(...indent(`note: ${n}`, "    "));
  if (r.changed && r.refusal) lines.push(...indent(`refused: ${r.refusal}`, "    "));
  return lines.join("\n");
}

export function renderSummary(report: ConvergeReport): string {
  const total = report.results.length;
  if (report.check) {
    const reasons = [...new Set(report.results.flatMap((r) => (r.notInspected ? [r.notInspected.reason] : [])))];
    const unknown = report.notInspected
      ? `; ${report.notInspected} could not be inspected here (${reasons.join("; ")}): run \`micropod prepare-host --check\` on the FreeBSD host for them. Nothing was changed`
      : "";
    if (report.changed === 0 && !report.notInspected) return `nothing to change: all ${total} resources are in place`;
    return `${report.changed} of ${total} resources would change${unknown || "; run `micropod prepare-host` as root to apply"}`;
  }
  return report.changed === 0 ? `nothing changed: all ${total} resources were already in place` : `changed ${report.changed} of ${total} resources`;
}
