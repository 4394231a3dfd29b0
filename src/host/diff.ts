/**
 * A unified-style line diff for --check output: changed lines with one line of context, from a
 * longest-common-subsequence walk (the files micropod edits are small).
 */
export function diffLines(path: string, before: string | undefined, after: string): string[] {
  const a = before === undefined ? [] : splitLines(before);
  const b = splitLines(after);
  const ops = lcsOps(a, b);
  const out = [`--- ${before === undefined ? "/dev/null" : path}`, `+++ ${path}`];
  const keep = new Set<number>();
  ops.forEach((op, i) => {
    if (op.kind !== " ") for (let j = i - 1; j <= i + 1; j++) keep.add(j);
  });
  let last = -2;
  ops.forEach((op, i) => {
    if (!keep.has(i)) return;
    if (i !== last + 1 && last !== -2) out.push("@@");
    out.push(`${op.kind} ${op.line}`.trimEnd());
    last = i;
  });
  return out;
}

function splitLines(s: string): string[] {
  const lines = s.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

interface Op {
  kind: " " | "-" | "+";
  line: string;
}

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) ops.push({ kind: " ", line: a[i++]! }), j++;
    else if (t[i + 1]![j]! >= t[i]![j + 1]!) ops.push({ kind: "-", line: a[i++]! });
    else ops.push({ kind: "+", line: b[j++]! });
  }
  while (i < n) ops.push({ kind: "-", line: a[i++]! });
  while (j < m) ops.push({ kind: "+", line: b[j++]! });
  return ops;
}
