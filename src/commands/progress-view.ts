import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { createLogUpdate } from "log-update";
import type { Clock } from "../core/clock.js";
import type { Context } from "../core/context.js";
import { createLogger } from "../core/logger.js";
import type { ProgressEvent, ProgressObserver, ProgressState } from "../engine/progress.js";

/** One line of the live view: a service in one walk, its state and when it entered it. */
interface Row {
  readonly service: string;
  readonly step: ProgressEvent["step"];
  state: ProgressState;
  since: number;
  /** A build's last log line, read from its log file at each refresh. */
  lastLine?: string;
}

const REFRESH_MS = 250;

/** Elapsed time as the view shows it: `4.2s`, `3m05s`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

const condition = (c: string) => c.replace(/^service_/, "").replace("completed_successfully", "completed");

/** What a row says after its service's name. */
export function describeState(state: ProgressState, forMs: number, lastLine?: string): string {
  switch (state.kind) {
    case "queued":
      return "queued";
    case "building":
      return `building (${elapsed(forMs)})${lastLine ? ` · ${lastLine}` : ""}`;
    case "built":
      return `built in ${elapsed(state.ms)}`;
    case "cached":
      return "cached (inputs unchanged)";
    case "waiting":
      return `waiting on ${state.on.map((w) => `${w.service} ${condition(w.condition)}`).join(", ")}`;
    case "starting":
      return "starting";
    case "probing":
      return `probing (attempt ${state.attempt}, ${elapsed(forMs)})`;
    case "completing":
      return `running to completion (${elapsed(forMs)})`;
    case "ready":
      return `ready in ${(state.ms / 1000).toFixed(1)} s`;
    case "stopping":
      return `stopping (${elapsed(forMs)})`;
    case "stopped":
      return "stopped";
    case "failed":
      return `failed: ${state.reason}${state.logFile ? ` (full log: ${state.logFile})` : ""}`;
  }
}

/** The last non-empty line of a file, reading only its tail; undefined when it cannot be read. */
function lastLineOf(file: string): string | undefined {
  try {
    const fd = openSync(file, "r");
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 4096));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      // Build output carries colour codes: the view shows the text (Node's own stripper).
      return stripVTControlCharacters(buf.toString("utf8")).split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean).pop();
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * The live view of a build, start or stop on a terminal: one line per service updated in place
 * (log-update redraws the block), refreshed at each event and four times a second for the clocks.
 * Log lines the verb still writes (warnings, errors) are printed above the block.
 */
export class ProgressView {
  private readonly rows = new Map<string, Row>();
  private readonly update;
  private readonly timer: NodeJS.Timeout;
  /** Where a logger writes to put its lines above the block. */
  readonly logStream: Writable;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.update = createLogUpdate(stream, { showCursor: true });
    this.logStream = Object.assign(
      new Writable({
        write: (chunk: Buffer, _enc, done) => {
          this.update.persist(chunk.toString("utf8").replace(/\n$/, ""));
          this.render();
          done();
        },
      }),
      { isTTY: true },
    );
    this.timer = setInterval(() => this.render(), REFRESH_MS).unref();
  }

  readonly observer: ProgressObserver = (e) => {
    const key = `${e.step}\0${e.service}`;
    const row = this.rows.get(key);
    if (row) Object.assign(row, { state: e.state, since: this.clock.now() });
    else this.rows.set(key, { service: e.service, step: e.step, state: e.state, since: this.clock.now() });
    this.render();
  };

  /** The block as it stands: `build  base        building (12.0s) · STEP 3/7 ...`. */
  lines(): string[] {
    const width = Math.max(0, ...[...this.rows.values()].map((r) => r.service.length));
    const columns = this.stream.columns || 120;
    return [...this.rows.values()].map((r) => {
      if (r.state.kind === "building") r.lastLine = lastLineOf(r.state.logFile) ?? r.lastLine;
      const text = `${r.step.padEnd(5)}  ${r.service.padEnd(width)}  ${describeState(r.state, this.clock.now() - r.since, r.lastLine)}`;
      return text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
    });
  }

  private render(): void {
    this.update(this.lines().join("\n"));
  }

  /** The last picture stays on the terminal; nothing is redrawn after this. */
  done(): void {
    clearInterval(this.timer);
    this.render();
    this.update.done();
  }
}

/** How a verb was asked to log: the global --json and --verbose flags. */
export interface OutputFlags {
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/**
 * Run a build, start or stop with the live view when standard error is a terminal with a size
 * (a pseudo-terminal of 0 rows shows nothing redrawn) and --json was not asked for: the engine's
 * progress events drive the view, and only warnings and errors (all lines with --verbose) are
 * logged, above it. Otherwise the verb runs with its context as it is: the plain log lines.
 */
export async function withProgressView<T>(ctx: Context, flags: OutputFlags, run: (ctx: Context & { progress?: ProgressObserver }) => Promise<T>): Promise<T> {
  const stream = process.stderr;
  if (flags.json || !stream.isTTY || !stream.columns || !stream.rows) return run(ctx);
  const view = new ProgressView(stream, ctx.clock);
  const logger = createLogger({ json: false, level: flags.verbose ? "debug" : "warn", redactor: ctx.redactor, destination: view.logStream });
  try {
    return await run({ ...ctx, logger, progress: view.observer });
  } finally {
    view.done();
  }
}
