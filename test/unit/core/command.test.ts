import { describe, expect, it } from "vitest";
import { command, inspect, isReadOnly, renderCommand, shellQuote } from "../../../src/core/command.js";
import { Redactor } from "../../../src/core/redact.js";

describe("Command rendering", () => {
  it("quotes words a shell would split or expand", () => {
    expect(shellQuote("plain-word_1.0")).toBe("plain-word_1.0");
    expect(shellQuote("two words")).toBe("'two words'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("$HOME")).toBe("'$HOME'");
  });

  it("renders env, argv and stdin as one line", () => {
    const c = command(["podman", "run", "--name", "a b"], { env: { TZ: "UTC" }, input: "data" });
    expect(renderCommand(c)).toBe("TZ=UTC podman run --name 'a b' <<< (stdin)");
  });

  it("masks secret argv positions, env values and stdin", () => {
    const c = command(["tool", "--password", "hunter22"], {
      env: { API_KEY: "abcdefgh", MODE: "x" },
      input: "topsecret",
      secret: { argv: [2], env: ["API_KEY"], input: true },
    });
    expect(renderCommand(c)).toBe("API_KEY='********' MODE=x tool --password '********' <<< ********");
  });

  it("masks a registered secret value wherever it appears", () => {
    const r = new Redactor().add("s3cr3t-value");
    const c = command(["sh", "-c", "echo s3cr3t-value"]);
    expect(renderCommand(c, r)).toBe("sh -c 'echo ********'");
  });

  it("marks inspection commands read-only and everything else as changing", () => {
    expect(isReadOnly(inspect(["zfs", "list"]))).toBe(true);
    expect(isReadOnly(command(["zfs", "create", "zroot/x"]))).toBe(false);
  });

  it("refuses an empty command", () => {
    expect(() => command([])).toThrow(/program name/);
  });
});

describe("Redactor", () => {
  it("replaces the longest secret first and ignores values too short to be secrets", () => {
    const r = new Redactor().add("abcdef", "abcdefghij", "123", undefined);
    expect(r.size).toBe(2);
    expect(r.redact("x abcdefghij y abcdef 123")).toBe("x ******** y ******** 123");
    expect(r.leaks("nothing here")).toBe(false);
    expect(r.leaks("...abcdef...")).toBe(true);
  });
});
