import { type RecordedService, type StartRecord, type TimelineStep, recordedCriticalPath } from "../engine/start-record.js";
import { elapsed } from "./progress-view.js";

/**
 * `micropod status --timeline`: the last start as a bar chart, one line per service on a shared
 * time axis scaled to `width` columns. Pure: the record and a width in, the text out.
 *
 *   `=` its image building, `.` waiting on its dependencies, `#` from its podman start until it
 *   was ready (or `X` where it failed); at the end, when it was ready; `*` before the name marks
 *   the critical path (engine/start-record.ts recordedCriticalPath says how it is found).
 */
const LEGEND = ["= build", ". waiting", "# start until ready", "X failed", "* critical path"];

/** The legend's items, two spaces apart, wrapped to `width`. */
function legend(width: number): string[] {
  const lines = [""];
  for (const item of LEGEND) {
    const last = lines.at(-1)!;
    if (last && last.length + 2 + item.length > width) lines.push(item);
    else lines[lines.length - 1] = last ? `${last}  ${item}` : item;
  }
  return lines;
}

/** Where a row's bar ends, in words: when it was ready, or what became of it. */
function endLabel(r: RecordedService): string {
  const s = r.start;
  if (s) {
    if (s.readyMs !== undefined) return elapsed(s.readyMs);
    if (s.failedMs !== undefined) return s.startingMs === undefined ? "not started" : `failed ${elapsed(s.failedMs)}`;
    return s.startingMs === undefined ? "not started" : "not ready";
  }
  const b = r.build;
  if (b?.cached) return "cached";
  if (b?.endMs !== undefined) return b.failed ? `build failed ${elapsed(b.endMs)}` : `built ${elapsed(b.endMs)}`;
  return b?.buildingMs !== undefined ? "building" : "not built";
}

/** One service's bar, `columns` wide, `total` ms across. */
function bar(r: RecordedService, columns: number, total: number, endMs: number): string {
  const cells = Array<string>(columns).fill(" ");
  const col = (ms: number) => Math.min(columns - 1, Math.max(0, Math.floor((ms * columns) / total)));
  const paint = (from: number | undefined, to: number | undefined, ch: string) => {
    if (from === undefined || to === undefined) return;
    const last = Math.max(col(from), Math.min(columns, Math.ceil((to * columns) / total)) - 1);
    for (let c = col(from); c <= last; c++) cells[c] = ch;
  };
  const { build: b, start: s } = r;
  if (b && !b.cached) paint(b.buildingMs, b.endMs ?? endMs, "=");
  if (b?.failed && b.endMs !== undefined) cells[col(b.endMs)] = "X";
  if (s) {
    paint(s.waitingMs, s.startingMs ?? s.failedMs ?? endMs, ".");
    paint(s.startingMs, s.readyMs ?? s.failedMs ?? endMs, "#");
    if (s.failedMs !== undefined) cells[col(s.failedMs)] = "X";
  }
  return cells.join("");
}

/** A tick label: `5s`, `1m`, `1m30s`. */
const tickLabel = (sec: number) => (sec < 60 ? `${sec}s` : `${Math.floor(sec / 60)}m${sec % 60 ? `${String(sec % 60).padStart(2, "0")}s` : ""}`);

const TICK_STEPS_SEC = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The axis under the bars: a ruler with `+` at each tick, and the ticks' times under it. */
function axis(columns: number, total: number, room: number): [string, string] {
  const widest = tickLabel(Math.ceil(total / 1000)).length + 2;
  const step = TICK_STEPS_SEC.find((s) => (s * 1000 * columns) / total >= widest) ?? TICK_STEPS_SEC.at(-1)!;
  const ruler = Array<string>(columns).fill("-");
  let labels = "";
  for (let sec = 0; sec * 1000 <= total; sec += step) {
    const c = Math.min(columns - 1, Math.floor((sec * 1000 * columns) / total));
    ruler[c] = "+";
    const text = tickLabel(sec);
    if (c >= labels.length + (labels ? 1 : 0) && c + text.length <= room) labels = labels.padEnd(c) + text;
  }
  return [ruler.join(""), labels];
}

const stepName = (s: TimelineStep) => (s.step === "build" ? `${s.service} build` : s.service);

function heading(record: StartRecord): string {
  const took = elapsed(record.elapsedMs);
  const how =
    record.outcome === "ready" ? `ready after ${took}` : record.outcome === "interrupted" ? `interrupted after ${took}` : `failed after ${took}${record.error ? `: ${record.error}` : ""}`;
  return `last start ${record.at}: ${how}`;
}

/** The whole chart, `width` columns wide (the bars take what the names and end labels leave, at least 10). */
export function renderTimeline(record: StartRecord, width: number): string {
  const path = recordedCriticalPath(record);
  const onPath = new Set(path.map((p) => p.service));
  const ends = record.services.flatMap((r) => [r.build?.endMs, r.start?.readyMs, r.start?.failedMs]).filter((t): t is number => t !== undefined);
  const total = Math.max(1, record.elapsedMs, ...ends);
  const names = Math.max(7, ...record.services.map((r) => r.service.length));
  const labels = record.services.map(endLabel);
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const lead = 2 + names + 2;
  const columns = Math.max(10, width - lead - 1 - labelWidth);
  const rows = record.services.map((r, i) => `${onPath.has(r.service) ? "*" : " "} ${r.service.padEnd(names)}  ${bar(r, columns, total, record.elapsedMs)} ${labels[i]}`.trimEnd());
  const [ruler, ticks] = axis(columns, total, columns + 1 + labelWidth);
  return [
    heading(record),
    `critical path: ${path.length ? path.map(stepName).join(" → ") : "none (nothing ended)"}`,
    "",
    ...rows,
    `${" ".repeat(lead)}${ruler}`,
    `${" ".repeat(lead)}${ticks}`,
    "",
    ...legend(width),
  ].join("\n");
}
