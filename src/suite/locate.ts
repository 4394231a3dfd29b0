import { isMap, isSeq, LineCounter, type Document, type Node } from "yaml";

/**
 * Finds the line of a Compose path (`services/web/depends_on/redis`) in the parsed YAML, for
 * error messages. A key that came through a `<<` merge is not in the service's own node: the
 * line of the deepest node that exists is used then.
 */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  line(path: string): number | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined;
    for (const seg of path === "" ? [] : path.split("/")) {
      let next: unknown;
      if (isMap(node)) next = node.get(seg, true);
      else if (isSeq(node) && /^\d+$/.test(seg)) next = node.get(Number(seg), true);
      if (next === undefined || next === null) break;
      node = next;
      if (typeof next === "object" && "range" in next) found = next as Node;
    }
    const offset = found?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }
}

export { LineCounter };
