/**
 * Value-based redaction: every secret micropod knows is registered here once, and every line
 * that leaves the process (logs, plans, error details) passes through `redact`. Matching by value
 * instead of by field name catches a secret wherever it ends up (argv, env file, stderr).
 */
export const REDACTED = "********";

export class Redactor {
  private readonly values = new Set<string>();

  /** Register secret values. Very short values are ignored: redacting "1" would mangle output. */
  add(...values: Array<string | undefined>): this {
    for (const v of values) if (v !== undefined && v.length >= 6) this.values.add(v);
    return this;
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    let out = text;
    // Longest first, so a secret containing another secret is replaced whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join(REDACTED);
    return out;
  }

  /** True when `text` contains any registered secret; used by tests scanning output. */
  leaks(text: string): boolean {
    for (const v of this.values) if (text.includes(v)) return true;
    return false;
  }
}
