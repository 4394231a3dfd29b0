import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HEALTH_LOG } from "../../src/host/resources/logs.js";
import { requireTool } from "../support/require-tool.js";

describe("rc.d/micropod_health", () => {
  it("passes shellcheck as POSIX sh and runs `micropod health watch` under daemon(8)", () => {
    requireTool("shellcheck", "shellcheck");
    expect(execFileSync("shellcheck", ["-s", "sh", "rc.d/micropod_health"], { encoding: "utf8" })).toBe("");
    const text = readFileSync("rc.d/micropod_health", "utf8");
    expect(text).toContain("# REQUIRE: LOGIN podman podman_service\n");
    expect(text).toContain('rcvar="micropod_health_enable"\n');
    expect(text).toContain("${micropod_health_bin} --json health watch --env ${micropod_health_envfile} --every ${micropod_health_every}\"\n");
    expect(statSync("rc.d/micropod_health").mode & 0o111).not.toBe(0);
    // The service writes where the cron line writes and newsyslog rotates: one constant.
    expect(text).toContain(`: "\${micropod_health_logfile:=${HEALTH_LOG}}"\n`);
  });
});
