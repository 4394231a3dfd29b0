import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { command, inspect } from "../../../src/core/command.js";
import { CommandFailedError } from "../../../src/core/errors.js";
import { Redactor } from "../../../src/core/redact.js";
import { ExecaRunner, PrintingRunner, killRunningCommands } from "../../../src/core/runner.js";
import { tempDir } from "../../support/temp.js";

describe("ExecaRunner", () => {
  it("runs argv without a shell, with env and stdin", async () => {
    const r = await new ExecaRunner().run(command(["sh", "-c", 'printf "%s|%s|" "$1" "$GREETING"; cat', "sh", "a b;c"], { env: { GREETING: "hi" }, input: "in" }));
    expect(r).toEqual({ exitCode: 0, stdout: "a b;c|hi|in", stderr: "" });
  });

  it("throws a CommandFailedError with the redacted command and the last lines of stderr", async () => {
    const redactor = new Redactor().add("password123");
    const err = await new ExecaRunner(redactor)
      .run(command(["sh", "-c", "echo bad password123 >&2; exit 3", "password123"]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    const e = err as CommandFailedError;
    expect(e.message).toBe("command failed with exit code 3: sh -c 'echo bad ******** >&2; exit 3' ********");
    expect(e.details).toEqual(["bad ********"]);
  });

  it("hands output over line by line as it arrives, redacted even when a secret spans two writes", async () => {
    const redactor = new Redactor().add("password123");
    const lines: string[] = [];
    const script = 'printf "one pass"; sleep 0.2; printf "word123 two\\nthree"; printf "err\\n" >&2; exit 5';
    const r = await new ExecaRunner(redactor).run(command(["sh", "-c", script]), { allowFailure: true, output: (line, stream) => void lines.push(`${stream}:${line}`) });
    expect(r).toEqual({ exitCode: 5, stdout: "", stderr: "" });
    expect(lines.sort()).toEqual(["stderr:err\n", "stdout:one ******** two\n", "stdout:three"]);
  });

  it("gives a terminal command micropod's own stdin, stdout and stderr", () => {
    // The built runner (npm ci builds dist), in a process of its own whose stdio the test holds.
    const runner = JSON.stringify(new URL("../../../dist/core/runner.js", import.meta.url).pathname);
    const program = `import { ExecaRunner } from ${runner};
const r = await new ExecaRunner().run({ argv: ["sh", "-c", "read line; echo got $line; echo oops >&2; exit 2"] }, { output: "terminal", allowFailure: true });
console.log(JSON.stringify(r));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], { input: "typed\n", encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe('got typed\n{"exitCode":2,"stdout":"","stderr":""}\n');
    expect(r.stderr).toBe("oops\n");
  });

  it("returns a failed result when failure is allowed", async () => {
    const r = await new ExecaRunner().run(command(["sh", "-c", "exit 4"]), { allowFailure: true });
    expect(r.exitCode).toBe(4);
  });

  it("appends output to a log file", async () => {
    const log = join(tempDir("micropod-run-"), "build.log");
    await new ExecaRunner().run(command(["sh", "-c", "echo out; echo err >&2"]), { logFile: log });
    await new ExecaRunner().run(command(["echo", "again"]), { logFile: log });
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean).sort()).toEqual(["again", "err", "out"]);
  });

  it("kills the process when the signal aborts", async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = new ExecaRunner().run(command(["sleep", "30"]), { signal: ac.signal, allowFailure: true });
    setTimeout(() => ac.abort(new Error("stop")), 100);
    const r = await p;
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("ExecaRunner: a command cut by its timeout or the signal", () => {
  // `podman exec` catches the SIGTERM and exits 0 (seen with podman 4.3.1): a readiness probe cut
  // by its timeout then looked like a check that passed, and CI started a suite whose db's check
  // could never pass. A cut command has failed, whatever it exits with.
  const exitsZeroOnTerm = command(["sh", "-c", "trap 'exit 0' TERM; echo started; while :; do sleep 0.05; done"]);

  it("a timeout is a failure even when the command exits 0 on SIGTERM", async () => {
    const r = await new ExecaRunner().run(exitsZeroOnTerm, { timeoutMs: 300, allowFailure: true });
    expect(r.exitCode).toBe(143);
    expect(r.stdout).toBe("started\n");
    expect(r.stderr).toMatch(/timed out after 300 milliseconds/);
    await expect(new ExecaRunner().run(exitsZeroOnTerm, { timeoutMs: 300 })).rejects.toThrow(CommandFailedError);
  });

  it("so is an abort", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("stop")), 300);
    const r = await new ExecaRunner().run(exitsZeroOnTerm, { signal: ac.signal, allowFailure: true });
    expect(r.exitCode).toBe(143);
  });
});

describe("ExecaRunner and Ctrl-C", () => {
  const pgidOf = (stat: string) => stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2];

  it("runs each command in its own process group, so the terminal's SIGINT reaches micropod alone", async () => {
    const r = await new ExecaRunner().run(command(["sh", "-c", "cat /proc/$$/stat"]));
    expect(pgidOf(r.stdout)).not.toBe(pgidOf(readFileSync("/proc/self/stat", "utf8")));
  });

  it("kills every command under way when the user insists (second Ctrl-C)", async () => {
    const started = Date.now();
    const p = new ExecaRunner().run(command(["sleep", "30"]), { allowFailure: true });
    setTimeout(killRunningCommands, 100);
    expect((await p).exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("ExecaRunner: a command that must not be cut", () => {
  it("is spared by the second Ctrl-C and finishes, while the others are killed", async () => {
    const runner = new ExecaRunner();
    const whole = runner.run(command(["sh", "-c", "sleep 1; echo done"]), { uncut: true });
    const killed = runner.run(command(["sleep", "30"]), { allowFailure: true });
    killRunningCommands();
    expect((await killed).exitCode).not.toBe(0);
    expect(await whole).toEqual({ exitCode: 0, stdout: "done\n", stderr: "" });
  });
});

describe("PrintingRunner", () => {
  it("prints changing commands and passes read-only ones to the inspector", async () => {
    const lines: string[] = [];
    const runner = new PrintingRunner((l) => lines.push(l), { inspector: new ExecaRunner() });
    const looked = await runner.run(inspect(["echo", "looked"]));
    const changed = await runner.run(command(["rm", "-rf", "/nothing"]));
    expect(looked.stdout).toBe("looked\n");
    expect(changed).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    expect(lines).toEqual(["rm -rf /nothing"]);
  });
});
