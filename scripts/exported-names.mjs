#!/usr/bin/env node
// Prints each name that two modules under a directory export, with the modules: one name, one
// meaning (issue 16). Re-exports (`export { x } from`) are not declarations and are skipped.
// Usage: node scripts/exported-names.mjs src; exit 1 when a name is exported twice.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const dir = process.argv[2] ?? "src";
const owners = new Map();
for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).sort()) {
  const file = join(dir, f);
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const exported = (node) => ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export;
  const add = (name) => owners.set(name, [...(owners.get(name) ?? []), relative(dir, file)]);
  for (const node of source.statements) {
    if (ts.isVariableStatement(node) && exported(node)) node.declarationList.declarations.forEach((d) => ts.isIdentifier(d.name) && add(d.name.text));
    else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node)) && node.name && exported(node)) add(node.name.text);
  }
}
const twice = [...owners].filter(([, files]) => new Set(files).size > 1);
for (const [name, files] of twice) console.log(`${name}: ${[...new Set(files)].join(", ")}`);
process.exit(twice.length ? 1 : 0);
