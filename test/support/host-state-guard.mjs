// Loaded into every Node process of a test run (vitest's workers and every `micropod` the tests
// spawn) through NODE_OPTIONS=--import, set by test/support/run-root.ts. It wraps the file
// system functions so that touching the machine's own micropod state (the prefixes in
// $MICROPOD_TEST_FORBIDDEN_PATHS, built by test/support/host-state.ts) is recorded in
// $MICROPOD_TEST_GUARD_LOG and fails with EACCES. Recording matters as much as failing: code
// that swallows the error (a missing secrets file is not an error) must still fail the test,
// and test/support/per-file.ts reads the record after each file. A stat of a path that does not
// exist counts too: on a machine where micropod ran, it would have found something.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const forbidden = JSON.parse(process.env.MICROPOD_TEST_FORBIDDEN_PATHS ?? "[]");
const log = process.env.MICROPOD_TEST_GUARD_LOG;
const appendFileSync = fs.appendFileSync;

function asPath(p) {
  if (typeof p === "string") return p;
  if (Buffer.isBuffer(p)) return p.toString();
  if (p instanceof URL && p.protocol === "file:") return fileURLToPath(p);
  return undefined;
}

function isForbidden(path) {
  const abs = resolve(path);
  return forbidden.some((f) => abs === f || abs.startsWith(f.endsWith("/") ? f : `${f}/`) || (!f.endsWith("/") && abs.startsWith(f) && /^[-_.]/.test(abs.slice(f.length))));
}

function check(op, args, positions) {
  for (const i of positions) {
    const path = asPath(args[i]);
    if (path === undefined || !isForbidden(path)) continue;
    const entry = { file: process.env.MICROPOD_TEST_FILE ?? null, pid: process.pid, op, path: resolve(path) };
    if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
    const err = new Error(`EACCES: ${op} ${entry.path}: a test touched the machine's own micropod state (see test/support/host-state.ts)`);
    err.code = "EACCES";
    throw err;
  }
}

// Every function of fs and fs.promises that takes a path: which arguments are paths.
const twoPaths = new Set(["rename", "renameSync", "copyFile", "copyFileSync", "cp", "cpSync", "link", "linkSync", "symlink", "symlinkSync"]);
const onePath = [
  "access", "appendFile", "chmod", "chown", "createReadStream", "createWriteStream", "exists", "lchmod", "lchown", "lstat", "lutimes",
  "mkdir", "mkdtemp", "open", "openAsBlob", "opendir", "readdir", "readFile", "readlink", "realpath", "rm", "rmdir", "stat", "statfs",
  "truncate", "unlink", "utimes", "watch", "watchFile", "writeFile",
];
function wrap(target, name) {
  const original = target[name];
  if (typeof original !== "function" || original.__micropodGuarded) return;
  const positions = twoPaths.has(name) ? [0, 1] : [0];
  const guarded = function (...args) {
    check(name, args, positions);
    return original.apply(this, args);
  };
  Object.defineProperties(guarded, Object.getOwnPropertyDescriptors(original));
  guarded.__micropodGuarded = true;
  target[name] = guarded;
}
for (const base of [...onePath, ...twoPaths]) {
  const name = base.replace(/Sync$/, "");
  for (const n of [name, `${name}Sync`]) wrap(fs, n);
  wrap(fs.promises, name);
}
if (fs.realpathSync.native) wrap(fs.realpathSync, "native");
if (fs.realpath.native) wrap(fs.realpath, "native");
syncBuiltinESMExports();
