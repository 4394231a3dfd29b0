#!/usr/bin/env node
// micropod benchmarks: runs every section in scripts/bench/*.mjs (each exports `title` and
// `run(report)`), in name order, after `tsc` has built dist/. A section prints its figures through
// `report(label, value)`; the exit code is non-zero when any section's target is missed.
// Usage: npm run bench [-- SECTION...]   e.g. npm run bench -- engine
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "bench");
const only = process.argv.slice(2);
const sections = readdirSync(dir)
  .filter((f) => f.endsWith(".mjs") && !f.startsWith("_"))
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.mjs$/, "")));

let missed = 0;
for (const f of sections) {
  const section = await import(pathToFileURL(join(dir, f)).href);
  console.log(`\n== ${section.title ?? f}`);
  const report = (label, value, target) => {
    const ok = target === undefined ? "" : target.ok ? `  (target ${target.text}: met)` : `  (target ${target.text}: MISSED)`;
    if (target && !target.ok) missed++;
    console.log(`${label.padEnd(44)} ${value}${ok}`);
  };
  await section.run(report);
}
process.exit(missed ? 1 : 0);
