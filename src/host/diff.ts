import { FILE_HEADERS_ONLY, createTwoFilesPatch } from "diff";

/** Lines of context around each change, as `diff -u` shows by default. */
const CONTEXT = 3;

/**
 * The unified diff (jsdiff) that --check shows for a file micropod writes: `--- /dev/null` for a
 * new file, hunks with their `@@ -a,b +c,d @@` headers and three lines of context, and jsdiff's
 * `\ No newline at end of file` where one side lacks it. One array entry per output line.
 */
export function diffLines(path: string, before: string | undefined, after: string): string[] {
  const patch = createTwoFilesPatch(before === undefined ? "/dev/null" : path, path, before ?? "", after, undefined, undefined, {
    context: CONTEXT,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.replace(/\n$/, "").split("\n");
}
