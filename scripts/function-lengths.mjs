// Lists the functions of the TypeScript files under DIR longer than MAX lines, longest first:
//   node scripts/function-lengths.mjs src/engine 80
// A function is any declaration, method, arrow or function expression; its length counts every
// line from its first to its last, nested functions included. Exits 1 when one is found, so CI
// (and test/content/function-lengths.test.ts) can hold a folder to the limit.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** `{file, name, line, lines}` for every function in `dir` over `max` lines, longest first. */
export function longFunctions(dir, max) {
  const found = [];
  for (const file of tsFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && "body" in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (last - first + 1 > max) found.push({ file: relative(process.cwd(), file), name: nameOf(node), line: first + 1, lines: last - first + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort((a, b) => b.lines - a.lines);
}

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && ts.isIdentifier(parent.name)) return parent.name.text;
  return "(anonymous)";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = "src", max = "80"] = process.argv.slice(2);
  const found = longFunctions(dir, Number(max));
  for (const f of found) console.log(`${f.file}:${f.line} ${f.name} ${f.lines} lines`);
  process.exitCode = found.length ? 1 : 0;
}
