import { describe, expect, test } from "vitest";
import { interpolate, InterpolationError } from "../../../src/suite/interpolate.js";
import { parseDuration } from "../../../src/suite/duration.js";

// The Compose Specification's interpolation table, with FOO set, EMPTY set to "" and UNSET unset.
const vars = { FOO: "foo", EMPTY: "", BAR: "bar", lower_case: "lc" };

describe("interpolate mirrors Compose", () => {
  test.each([
    ["$FOO", "foo"],
    ["${FOO}", "foo"],
    ["pre-${FOO}-post", "pre-foo-post"],
    ["$FOO.txt", "foo.txt"],
    ["${lower_case}", "lc"],
    ["${UNSET}", ""],
    ["$UNSET", ""],
    ["${FOO:-default}", "foo"],
    ["${EMPTY:-default}", "default"],
    ["${UNSET:-default}", "default"],
    ["${FOO-default}", "foo"],
    ["${EMPTY-default}", ""],
    ["${UNSET-default}", "default"],
    ["${FOO:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${UNSET:+alt}", ""],
    ["${FOO+alt}", "alt"],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET+alt}", ""],
    ["${FOO:?must be set}", "foo"],
    ["${EMPTY?must be set}", ""],
    ["${UNSET:-${BAR}}", "bar"],
    ["${UNSET:-${UNSET2:-deep}}", "deep"],
    ["${UNSET:-a b:c}", "a b:c"],
    ["$$", "$"],
    ["$${FOO}", "${FOO}"],
    ["$$FOO", "$FOO"],
    ["$$$FOO", "$foo"],
    ["cost: 5$", "cost: 5$"],
    ["$1 and $-", "$1 and $-"],
    ["[${IP:-::1}]:80", "[::1]:80"],
    ["${FOO}${BAR}", "foobar"],
  ])("%s → %s", (template, expected) => {
    expect(interpolate(template, vars).value).toBe(expected);
  });

  test("unset variables without a default are reported, as Compose warns", () => {
    expect(interpolate("$UNSET ${ALSO_UNSET} ${WITH:-default}", vars).unset).toEqual(["UNSET", "ALSO_UNSET"]);
  });

  test.each([
    ["${UNSET:?set it in .env}", "required variable UNSET is missing a value: set it in .env"],
    ["${EMPTY:?set it}", "required variable EMPTY is missing a value: set it"],
    ["${UNSET?}", "required variable UNSET is missing a value"],
    ["${UNSET:?needs ${FOO}}", "required variable UNSET is missing a value: needs foo"],
    ["${FOO", 'invalid template "${FOO": "${" without a closing "}"'],
    ["${}", 'invalid template "${}"'],
    ["${1FOO}", 'invalid template "${1FOO}"'],
    ["${FOO BAR}", 'invalid template "${FOO BAR}"'],
    ["${FOO:default}", 'invalid template "${FOO:default}"'],
  ])("%s fails: %s", (template, message) => {
    // The kind tells a missing value (its message may be shown) from a malformed template (whose
    // text may be a secret and is not quoted back by the env-file reader).
    const kind = message.startsWith("required") ? "missing" : "malformed";
    expect(() => interpolate(template, vars)).toThrow(new InterpolationError(message, kind));
  });

  test("a default is evaluated only when used", () => {
    expect(interpolate("${FOO:-${UNSET:?never evaluated}}", vars).value).toBe("foo");
  });
});

describe("Compose durations", () => {
  test.each([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["1h2m3s4ms", 3_723_004],
    ["0", 0],
  ])("%s = %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "10", "ten seconds", "10 s", "s", "1d", "-5s"])("%j is refused", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
