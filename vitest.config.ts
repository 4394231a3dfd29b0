import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // dist/ first; then the run's temp root and the guard on the machine's micropod state, which
    // each test file's setup (per-file.ts) narrows to the file and checks when the file ends.
    globalSetup: ["test/support/build-dist.ts", "test/support/run-root.ts"],
    setupFiles: ["test/support/per-file.ts"],
    // per-file.ts's checks must run after each file's own afterAll hooks: "after" hooks in
    // reverse order of registration (vitest's default, stated here because the checks rely on it).
    sequence: { hooks: "stack" },
    // Real podman, Redis and Sidekiq tests take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel up to that, podman tests are isolated by their own storage roots.
    maxWorkers: 2,
  },
});
