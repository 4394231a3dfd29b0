import { describe, expect, it } from "vitest";
import { parseEnvText } from "../../../src/config/env-file.js";
import { parseComposeEnvFile } from "../../../src/suite/compose-env-file.js";

describe("Compose env_file", () => {
  it("one file read as micropod's .env and as a Compose env_file gives the same values", () => {
    const text = [
      "# written once, read both ways",
      "export PLAIN=value",
      "SPACED = around equals  ",
      "INLINE=abc # comment",
      "HASH=abc#notacomment",
      "SINGLE='a \\t \\n \"kept\"'",
      'DOUBLE="tab\\there\\nnewline \\"q\\" back\\\\slash \\x unknown"  # comment',
      "EMPTY=",
      "EQUALS=a=b==",
      "CRLF=x\r",
    ].join("\n");
    const asDotEnv = Object.fromEntries(parseEnvText(text, "both.env").entries.map((e) => [e.key, e.value]));
    const asEnvFile = parseComposeEnvFile(text, "both.env", {});
    expect(asEnvFile.problems).toEqual([]);
    expect(asEnvFile.values).toEqual(asDotEnv);
    expect(asEnvFile.values).toEqual({
      PLAIN: "value",
      SPACED: "around equals",
      INLINE: "abc",
      HASH: "abc#notacomment",
      SINGLE: 'a \\t \\n "kept"',
      DOUBLE: 'tab\there\nnewline "q" back\\slash \\x unknown',
      EMPTY: "",
      EQUALS: "a=b==",
      CRLF: "x",
    });
  });

  it("interpolates unquoted and double-quoted values from the configuration and lines above; single quotes stay literal", () => {
    const text = ["HOST=db.${DOMAIN}", 'URL="postgres://${HOST}:${PORT:-5432}"', "LIT='${DOMAIN}'", "DOLLAR=$$HOME", "BARE", "MISSING", "app.name=${DOMAIN}"].join("\n");
    expect(parseComposeEnvFile(text, "i.env", { DOMAIN: "example.org", BARE: "from config" })).toEqual({
      values: {
        HOST: "db.example.org",
        URL: "postgres://db.example.org:5432",
        LIT: "${DOMAIN}",
        DOLLAR: "$HOME",
        BARE: "from config",
        "app.name": "example.org",
      },
      problems: [],
    });
  });

  it("reports bad lines and bad templates with file and line, never quoting the value", () => {
    const text = ["OK=1", "SECRET=${hunter2", "no equals hunter3 here!", 'OPEN="hunter4', "OK=2"].join("\n");
    const result = parseComposeEnvFile(text, "bad.env", {});
    expect(result.problems).toEqual([
      { file: "bad.env", line: 3, message: 'expected KEY=value: no "=" on this line (it starts with no)' },
      { file: "bad.env", line: 4, message: "OPEN: unterminated double-quoted value (values span one line)" },
      { file: "bad.env", line: 2, path: "SECRET", message: "invalid ${...} interpolation in the value" },
    ]);
    expect(JSON.stringify(result.problems)).not.toMatch(/hunter/);
    expect(result.values).toEqual({ OK: "2" });
  });
});
