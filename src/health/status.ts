import type { HealthState } from "./health-state.js";

/** `micropod health status`: the last verdicts and the latest restarts and alerts, as text. */
export function renderHealthStatus(state: HealthState, nowMs: number, events = 10): string {
  if (state.lastCheckAtMs === undefined) return "no health check has run yet\n";
  const ago = (at: number) => `${Math.round((nowMs - at) / 1000)} s ago`;
  const lines = [`last check: ${new Date(state.lastCheckAtMs).toISOString()} (${ago(state.lastCheckAtMs)})`];
  if (state.redis?.failing) {
    const since = state.redis.sinceMs !== undefined ? ` since ${new Date(state.redis.sinceMs).toISOString()}` : "";
    lines.push(`redis: unreadable for ${state.redis.failing} check(s) in a row${since}: ${state.redis.lastError ?? "-"}`);
  }
  lines.push("");
  const rows = Object.entries(state.containers)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, r]) => [
      name,
      r.lastStatus ?? "-",
      String(r.failing),
      String(r.restarts.filter((at) => nowMs - at < 3_600_000).length),
      r.restarts.length ? new Date(r.restarts[r.restarts.length - 1]!).toISOString() : "-",
      r.lastReasons.join("; ") || "-",
    ]);
  lines.push(...table([["CONTAINER", "STATUS", "FAILING", "RESTARTS/1H", "LAST RESTART", "REASONS"], ...rows]));
  const recent = state.events.slice(-events);
  if (recent.length) {
    lines.push("", "recent events:");
    for (const e of recent) lines.push(`  ${new Date(e.atMs).toISOString()}  ${e.kind.padEnd(14)} ${e.container ? `${e.container}: ` : ""}${e.message}`);
  }
  return `${lines.join("\n")}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}
