import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * vitest globalSetup: compile src/ to dist/ once before any test, so the CLI tests run the
 * same bin/micropod.js a user runs, and a type error fails the run.
 */
export default function setup(): void {
  const root = resolve(import.meta.dirname, "..", "..");
  execFileSync(process.execPath, [resolve(root, "node_modules", "typescript", "bin", "tsc"), "-p", resolve(root, "tsconfig.json")], {
    stdio: "inherit",
  });
}
