import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli.js";
import { allCommands, commandTree } from "../../src/completion/command-tree.js";
import { runMicropod } from "../support/cli.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * The completion scripts `micropod completion` prints, loaded into the real shells: bash's
 * completion function called the way readline calls it (COMP_WORDS, COMP_CWORD), and zsh's
 * through compinit in a pseudo-terminal (zsh/zpty), typing TAB.
 */
const tree = commandTree(
  createProgram(() => {
    throw new Error("registering a verb must not need a context");
  }),
);

let work: string;
const script = (shell: string) => {
  const r = runMicropod(["completion", shell]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

beforeAll(() => {
  work = tempDir("micropod-completion-");
  mkdirSync(join(work, "files"));
  writeFileSync(join(work, "files", "my.env"), "");
  writeFileSync(join(work, "files", "other.yaml"), "");
});

describe("micropod completion bash", () => {
  /** What bash offers for each command line; the last word is the one being completed. */
  function complete(lines: readonly (readonly string[])[]): string[][] {
    requireTool("bash", "bash");
    writeFileSync(join(work, "micropod.bash"), script("bash"));
    const calls = lines.map((words) => `t ${words.map((w) => `'${w}'`).join(" ")}`).join("\n");
    const r = spawnSync(
      "bash",
      [
        "--norc",
        "--noprofile",
        "-c",
        `source ${join(work, "micropod.bash")}
complete -p micropod
t() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _micropod; echo "\${COMPREPLY[*]}"; }
${calls}`,
      ],
      { cwd: join(work, "files"), encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stderr).toBe("");
    const out = r.stdout.split("\n");
    expect(out[0]).toBe("complete -F _micropod micropod");
    return out.slice(1, 1 + lines.length).map((l) => l.split(" ").filter(Boolean).sort());
  }

  it("completes verbs, nested verbs, options and file names", () => {
    const got = complete([
      ["micropod", "he"],
      ["micropod", "health", ""],
      ["micropod", "--json", "health", "ch"],
      ["micropod", "health", "check", "--e"],
      ["micropod", "plan", "--env", ""],
      ["micropod", "plan", "--env", "my"],
      ["micropod", "plan", "--env", "=", ""],
      ["micropod", "plan", "--env", "my.env", "--com"],
      ["micropod", "logs", "-n", "5", "--f"],
      ["micropod", "stop", "-t", ""],
      ["micropod", "restore", ""],
      ["micropod", "db", "query-stats", ""],
      ["micropod", "completion", "--"],
    ]);
    expect(got).toEqual([
      ["health"],
      ["check", "install", "status", "watch"],
      ["check"],
      ["--env", "--every"],
      ["my.env", "other.yaml"],
      ["my.env"],
      ["my.env", "other.yaml"],
      ["--commands", "--compose"],
      ["--follow"],
      [],
      ["my.env", "other.yaml"],
      ["enable"],
      ["--help", "--json", "--verbose"],
    ]);
  });

  it("offers under every command exactly the verbs and options commander registered there", () => {
    const commands = allCommands(tree);
    const got = complete(commands.flatMap((c) => [["micropod", ...c.path, ""], ["micropod", ...c.path, "--"]]));
    const globals = tree.options.flatMap((o) => o.names).filter((n) => n.startsWith("--") && n !== "--help");
    commands.forEach((c, i) => {
      const positional = c.args.some((a) => a.value === "file") ? ["my.env", "other.yaml"] : [];
      expect(got[2 * i], c.path.join(" ")).toEqual(c.subcommands.length ? c.subcommands.map((s) => s.path.at(-1)!).sort() : positional);
      const own = c.options.flatMap((o) => o.names).filter((n) => n.startsWith("--"));
      expect(got[2 * i + 1], c.path.join(" ")).toEqual([...new Set([...own, ...(c.path.length ? globals : [])])].sort());
    });
  });
});

describe("micropod completion zsh", () => {
  it("parses (zsh -n)", () => {
    requireTool("zsh", "zsh");
    const file = join(work, "_micropod.syntax");
    writeFileSync(file, script("zsh"));
    const r = spawnSync("zsh", ["-n", file], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("completes verbs, their descriptions, options and file names in an interactive zsh", () => {
    requireTool("zsh", "zsh");
    const fpath = join(work, "site-functions");
    mkdirSync(fpath, { recursive: true });
    writeFileSync(join(fpath, "_micropod"), script("zsh"));
    const inputs = ["micropod he", "micropod health ", "micropod health check --e", "micropod plan --env files/my"];
    // A zsh drives another through a pseudo-terminal: compinit finds _micropod on $fpath, and
    // each line is typed with a TAB. zle finishes a completion before it reads the next key, so
    // the line is then cleared and "print DONE-n" run: its output ends what TAB showed. Each
    // wait has a deadline (10 s). "micropod" is a function so that the command exists. The
    // shell starts in the work directory and file names are typed relative to it: zle scrolls a
    // line longer than the pseudo-terminal's 80 columns, which would cut a long temp path.
    const driver = `zmodload zsh/zpty
zpty z 'TERM=dumb zsh -f -i'
await() {
  out=''
  local tick chunk
  for tick in {1..100}; do
    while zpty -r -t z chunk; do out+=$chunk; done
    [[ $out == *$'\\n'$1* ]] && return 0
    sleep 0.1
  done
  print -u2 "no $1 within 10 s"; exit 1
}
zpty -w z 'cd ${work}; PS1="> "; fpath=(${fpath} $fpath); autoload -Uz compinit; compinit -u -D; micropod() { :; }; print -r -- \${(U):-ready}'
await READY
n=0
for line in ${inputs.map((l) => `'${l}'`).join(" ")}; do
  n=$((n + 1))
  zpty -w -n z "\${line}"$'\\t\\C-u'
  zpty -w z "print -r -- \\\${(U):-done-$n}"
  await DONE-$n
  print -rn -- "$out" > ${work}/zsh-case-$n.out
done
zpty -d z
`;
    writeFileSync(join(work, "drive.zsh"), driver);
    const r = spawnSync("zsh", ["-f", join(work, "drive.zsh")], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const shown = inputs.map((_, i) =>
      stripVTControlCharacters(readFileSync(join(work, `zsh-case-${i + 1}.out`), "utf8"))
        .replace(/\r/g, ""),
    );
    expect(shown[0]).toContain("micropod health ");
    for (const verb of ["check", "install", "status", "watch"]) expect(shown[1]).toMatch(new RegExp(`^${verb} +-- `, "m"));
    expect(shown[1]).toContain("run one check (for root's crontab)");
    expect(shown[2]).toMatch(/^--env +-- /m);
    expect(shown[2]).toMatch(/^--every +-- /m);
    expect(shown[3]).toContain("files/my.env");
  });
});

describe("micropod completion sh", () => {
  it("prints every command line micropod accepts, one per line", () => {
    const lines = script("sh").split("\n").filter((l) => l.startsWith("micropod"));
    const leaves = allCommands(tree).filter((c) => c.path.length === 0 || c.subcommands.length === 0);
    expect(lines.map((l) => l.split(" [")[0]!.split(" <")[0])).toEqual(leaves.map((c) => ["micropod", ...c.path].join(" ")));
    expect(lines).toContain("micropod restore [--stop-writers] [--env <file>] [--compose <file>] [-h|--help] <file>");
  });

  it("refuses a shell it has no completion for", () => {
    const r = runMicropod(["completion", "fish"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are bash, zsh, sh");
    expect(r.stdout).toBe("");
  });
});
