import { describe, expect, it } from "vitest";
import { formatEnvLine, parseEnvText } from "../../../src/config/env-file.js";

describe("parseEnvText", () => {
  it("reads values, quotes, escapes, comments, export and line numbers", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value",
      "  export EXPORTED=yes",
      "SPACED = around equals  ",
      "INLINE=abc # trailing comment",
      "HASH=abc#notacomment",
      "SINGLE='a \"literal\" \\n # kept'",
      'DOUBLE="line1\\nline2 \\"q\\" back\\\\slash \\t"  # comment',
      "EMPTY=",
      "EQUALS=a=b==",
      "CRLF=x\r",
    ].join("\n");
    const parsed = parseEnvText(text, "/etc/x.env");
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries).toEqual([
      { key: "PLAIN", value: "value", line: 3 },
      { key: "EXPORTED", value: "yes", line: 4 },
      { key: "SPACED", value: "around equals", line: 5 },
      { key: "INLINE", value: "abc", line: 6 },
      { key: "HASH", value: "abc#notacomment", line: 7 },
      { key: "SINGLE", value: 'a "literal" \\n # kept', line: 8 },
      { key: "DOUBLE", value: 'line1\nline2 "q" back\\slash \t', line: 9 },
      { key: "EMPTY", value: "", line: 10 },
      { key: "EQUALS", value: "a=b==", line: 11 },
      { key: "CRLF", value: "x", line: 12 },
    ]);
  });

  it("reports malformed lines and duplicates with file and line, keeping the good lines", () => {
    const text = [
      "GOOD=1",
      "no equals sign here",
      "1BAD=x",
      'OPEN="never closed',
      "QUOTE='a' trailing",
      "GOOD=2",
      "AFTER=ok",
    ].join("\n");
    const parsed = parseEnvText(text, "f.env");
    expect(parsed.problems).toEqual([
      { file: "f.env", line: 2, message: 'expected KEY=value: no "=" on this line (it starts with no)' },
      { file: "f.env", line: 3, message: 'invalid variable name "1BAD": expected letters, digits and _ (not starting with a digit)' },
      { file: "f.env", line: 4, message: "OPEN: unterminated double-quoted value (values span one line)" },
      { file: "f.env", line: 5, message: "QUOTE: unexpected text after the closing quote (8 characters); quote the whole value" },
      { file: "f.env", line: 6, path: "GOOD", message: "set twice; first set on line 1" },
    ]);
    expect(parsed.entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ["GOOD", "1", 1],
      ["AFTER", "ok", 7],
    ]);
  });

  it("double quotes decode exactly \\n \\r \\t \\\" \\\\ and keep any other backslash pair as written", () => {
    const parsed = parseEnvText(String.raw`E="a\nb\rc\td\"e\\f \x \$HOME \'"`, "e.env");
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries).toEqual([{ key: "E", value: 'a\nb\rc\td"e\\f \\x \\$HOME \\\'', line: 1 }]);
  });

  it("Compose keys: . and - in names, a bare KEY inherits, a repeated key overrides; .env rejects all three", () => {
    const text = ["app.name=x", "LOG-LEVEL=debug", "BARE", "app.name=y"].join("\n");
    expect(parseEnvText(text, "c.env", { keys: "compose" })).toEqual({
      file: "c.env",
      entries: [
        { key: "app.name", value: "x", line: 1, interpolate: true },
        { key: "LOG-LEVEL", value: "debug", line: 2, interpolate: true },
        { key: "BARE", inherit: true, line: 3 },
        { key: "app.name", value: "y", line: 4, interpolate: true },
      ],
      problems: [],
    });
    expect(parseEnvText(text, "c.env").problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'invalid variable name "app.name": expected letters, digits and _ (not starting with a digit)'],
      [2, 'invalid variable name "LOG-LEVEL": expected letters, digits and _ (not starting with a digit)'],
      [3, 'expected KEY=value: no "=" on this line (it starts with BARE)'],
      [4, 'invalid variable name "app.name": expected letters, digits and _ (not starting with a digit)'],
    ]);
  });

  it("formatEnvLine writes lines that read back to the same value", () => {
    const values = ["plain-value_1.2", "has space", "it's", 'both \' and " and \\ and\nnewline', "", "a=b="];
    const text = values.map((v, i) => formatEnvLine(`K${i}`, v)).join("\n");
    expect(text).toBe(["K0=plain-value_1.2", "K1='has space'", 'K2="it\'s"', 'K3="both \' and \\" and \\\\ and\\nnewline"', "K4=", "K5=a=b="].join("\n"));
    expect(parseEnvText(text, "x").entries.map((e) => e.value)).toEqual(values);
  });

  it("never echoes a malformed line's text: it may be a secret that lost its = or its quotes", () => {
    const parsed = parseEnvText(["DB_PASS hunter2-correct-horse", 'SECRET_KEY="abc"def-hunter3'].join("\n"), "s.env");
    expect(parsed.problems.map((p) => p.message)).toEqual([
      'expected KEY=value: no "=" on this line (it starts with DB_PASS)',
      "SECRET_KEY: unexpected text after the closing quote (11 characters); quote the whole value",
    ]);
    expect(JSON.stringify(parsed.problems)).not.toMatch(/hunter|correct-horse/);
  });
});
