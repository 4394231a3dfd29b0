import { execFileSync } from "node:child_process";

/**
 * Tests that need a real tool (podman, redis-server, nginx, ...) call this first. A missing tool
 * is a failure with the Debian package to install, never a silent skip: CI installs them all
 * through scripts/install-test-deps.sh.
 */
export function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is required for this test: run scripts/install-test-deps.sh (Debian package ${debianPackage})`);
  }
}
