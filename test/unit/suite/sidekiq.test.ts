import { describe, expect, test } from "vitest";
import { parseSidekiqArgs } from "../../../src/suite/sidekiq.js";
import { shellWords } from "../../../src/suite/shell-words.js";

describe("parseSidekiqArgs", () => {
  test("short and long options, weights stripped, Sidekiq's defaults", () => {
    expect(parseSidekiqArgs(["-q", "default,8", "--queue", "mailers", "--queue=push,2", "-c", "10", "--timeout=30", "--tag", "box"])).toEqual({
      queues: ["default", "mailers", "push"],
      tag: "box",
      concurrency: 10,
      shutdownTimeout: 30,
    });
    expect(parseSidekiqArgs(["-e", "production", "-C", "config/sidekiq.yml"])).toEqual({ queues: ["default"], concurrency: 5, shutdownTimeout: 25 });
  });

  test("malformed numbers and missing values are errors", () => {
    expect(() => parseSidekiqArgs(["-c", "${THREADS}"])).toThrow('sidekiq option -c needs a whole number, got "${THREADS}"');
    expect(() => parseSidekiqArgs(["-q"])).toThrow("sidekiq option -q needs a value");
  });
});

describe("shellWords splits string commands as Compose does", () => {
  test.each([
    ["bundle exec sidekiq -q default", ["bundle", "exec", "sidekiq", "-q", "default"]],
    ["sh -c 'echo $HOME && exit 1'", ["sh", "-c", "echo $HOME && exit 1"]],
    ['echo "a \\"b\\" c" d\\ e', ["echo", 'a "b" c', "d e"]],
    ["  spaced   out  ", ["spaced", "out"]],
    ["empty '' arg", ["empty", "", "arg"]],
  ])("%s", (text, argv) => expect(shellWords(text)).toEqual(argv));

  test("an unterminated quote is an error", () => {
    expect(() => shellWords("echo 'oops")).toThrow("unterminated ' quote");
  });
});
