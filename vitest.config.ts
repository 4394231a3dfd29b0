import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build-dist.ts"],
    // Real podman, Redis and Sidekiq tests take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel up to that, podman tests are isolated by their own storage roots.
    maxWorkers: 2,
  },
});
