import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/core/logger.js";
import { Redactor } from "../../../src/core/redact.js";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join("") };
}

describe("logger", () => {
  it("writes JSON lines when not on a terminal, with secrets redacted in every field", () => {
    const s = sink(false);
    const log = createLogger({ destination: s.stream, redactor: new Redactor().add("verysecretvalue") });
    log.info({ env: { SECRET_KEY_BASE: "verysecretvalue" }, argv: ["--pw=verysecretvalue"] }, "starting verysecretvalue");
    const line = JSON.parse(s.text().trim());
    expect(line.msg).toBe("starting ********");
    expect(line.env.SECRET_KEY_BASE).toBe("********");
    expect(line.argv).toEqual(["--pw=********"]);
    expect(s.text()).not.toContain("verysecretvalue");
  });

  it("writes readable lines on a terminal, also redacted", () => {
    const s = sink(true);
    const log = createLogger({ destination: s.stream, redactor: new Redactor().add("verysecretvalue") });
    log.warn({ service: "web" }, "token verysecretvalue rejected");
    expect(s.text()).toMatch(/WARN.*token \*{8} rejected.*service.*web/);
    expect(s.text()).not.toContain("verysecretvalue");
  });
});
