import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { runMicropod } from "../support/cli.js";
import { tempDir } from "../support/temp.js";

const scratch = () => tempDir("micropod-adopt-cli-");

describe("micropod adopt (CLI)", () => {
  it("refuses a seed without a .env, naming it, exit 3, and writes nothing", () => {
    const dir = scratch();
    const r = runMicropod(["adopt", "--check", "--seed-dir", join(dir, "seed"), "--env", join(dir, "micropod.env")]);
    expect(r.code).toBe(ExitCode.config);
    expect(r.stderr).toContain(`cannot read ${join(dir, "seed", ".env")}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("--revert with no adoption to revert is a usage error naming where it looked", () => {
    const dir = scratch();
    const r = runMicropod(["adopt", "--revert", "--data-dir", join(dir, "data"), "--env", join(dir, "micropod.env")]);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toContain(`no adoption to revert: ${join(dir, "data")}/state/adopt.json does not exist`);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });
});
