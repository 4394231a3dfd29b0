import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { Redactor } from "./redact.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** JSON lines instead of readable ones. Defaults to JSON when the destination is not a terminal. */
  readonly json?: boolean;
  readonly level?: string;
  readonly redactor?: Redactor;
  /** Where lines go; defaults to standard error so standard output stays for the verb's result. */
  readonly destination?: NodeJS.WritableStream & { fd?: number; isTTY?: boolean };
}

/**
 * One logger for every verb. Every line, readable or JSON, passes through the redactor just
 * before it is written, so a secret cannot reach a log whichever field it hides in.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = opts.destination ?? process.stderr;
  const json = opts.json ?? !dest.isTTY;
  const redactor = opts.redactor;
  const hooks = redactor ? { streamWrite: (s: string) => redactor.redact(s) } : {};
  const level = opts.level ?? "info";
  if (json) return pino({ level, hooks, base: { name: "micropod" } }, dest);
  const stream = pretty({
    destination: dest,
    sync: true,
    colorize: Boolean(dest.isTTY),
    ignore: "pid,hostname,name",
    translateTime: "HH:MM:ss",
    singleLine: true,
  });
  return pino({ level, hooks, base: { name: "micropod" } }, stream);
}

/** A logger that drops everything: for library callers and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
