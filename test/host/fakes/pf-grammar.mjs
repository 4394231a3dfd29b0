// The part of pf.conf(5) that micropod writes and merges, checked the way pfctl(8) checks it,
// for the fake pfctl. Sources, freebsd/freebsd-src: share/man/man5/pf.conf.5 (STATEMENT ORDER,
// MACROS, TABLES, GRAMMAR) and sbin/pfctl/parse.y (the lexer's rules for strings and macros, the
// grammar, check_rulestate(), the translation rules' checks). The messages are parse.y's, each
// printed by yyerror() as "FILE:LINE: message"; pfctl then says "pfctl: Syntax error in config
// file: pf rules not loaded" and exits 1.
//
// A recursive-descent parser of one statement at a time, over the tokens pf's lexer would make:
// macros are expanded as the lexer does (outside quotes, defined before use), keywords are
// pf's, `<`/`>`/`{`/`}`/`(`/`)`/`!`/`=`/`/`/`,` stand alone and `->` is one token. What it
// accepts: macros, `table`, `set` options, `scrub`, `nat`/`rdr` (with `no` and `pass`),
// `nat-anchor`/`rdr-anchor`/`binat-anchor`, `pass`/`block`/`match`, `anchor`, `antispoof`.
// Statements beyond that (ether rules, altq, queue, binat, include, load anchor, inline anchor
// bodies) fail with a message naming this file: the fake refuses what it does not model rather
// than pass it unchecked. Host names are not resolved (no DNS here): like a name pfctl could not
// resolve, they are refused.

const KEYWORDS = new Set([
  "all", "allow-opts", "altq", "anchor", "antispoof", "any", "binat", "binat-anchor", "bitmask", "block", "block-policy",
  "code", "const", "counters", "debug", "drop", "dup-to", "ether", "fail-policy", "file", "fingerprints", "flags", "floating",
  "for", "fragment", "from", "group", "hostid", "icmp-type", "icmp6-type", "if-bound", "in", "include", "inet", "inet6",
  "keep", "keepcounters", "label", "limit", "load", "log", "loginterface", "match", "max-mss", "min-ttl", "modulate", "nat",
  "nat-anchor", "no", "no-df", "no-route", "on", "optimization", "os", "out", "pass", "persist", "port", "prio", "probability",
  "proto", "queue", "quick", "random", "random-id", "rdr", "rdr-anchor", "reassemble", "reply-to", "require-order", "return",
  "return-icmp", "return-icmp6", "return-rst", "round-robin", "route-to", "rtable", "ruleset-optimization", "scrub", "self",
  "set", "set-tos", "skip", "source-hash", "state", "state-defaults", "state-policy", "static-port", "sticky-address",
  "synproxy", "table", "tag", "tagged", "timeout", "to", "urpf-failed", "user",
]);
// parse.y's allowed_in_string(): punctuation that ends a word.
const SPECIAL = new Set(["(", ")", "{", "}", "<", ">", "!", "=", "/", "#", ","]);
const PROTOCOLS = new Set(["ip", "icmp", "igmp", "ggp", "ipencap", "st2", "tcp", "cbt", "egp", "igp", "pup", "udp", "hmp", "xns-idp", "rdp", "iso-tp4", "xtp", "ddp", "idpr-cmtp", "ipv6", "ipv6-route", "ipv6-frag", "idrp", "rsvp", "gre", "esp", "ah", "ipv6-icmp", "icmp6", "ipv6-nonxt", "ipv6-opts", "eigrp", "ospf", "ipip", "etherip", "encap", "pim", "vrrp", "carp", "l2tp", "sctp", "pfsync", "udplite", "divert"]);
// Names of /etc/services that rules commonly use; pfctl looks a port name up there (getservice()).
const SERVICES = new Set(["ftp", "ssh", "telnet", "smtp", "domain", "http", "www", "auth", "ntp", "https", "isakmp", "submission", "imaps", "pop3s", "bootps", "bootpc", "spamd", "ftp-proxy"]);
const ORDER_MESSAGE = "Rules must be in order: options, ethernet, normalization, queueing, translation, filtering";
const STATE = { option: 1, scrub: 2, queue: 3, nat: 4, filter: 5 };

/** What yyerror() prints for one statement: one or more messages at a line, and text printed before them without a prefix. */
class PfError extends Error {
  constructor(message, line, { more = [], before = [] } = {}) {
    super(message);
    this.line = line;
    this.more = more;
    this.before = before;
  }
}

/** Every error pfctl would print for `text`, as "FILE:LINE: message" lines; empty when it loads. */
export function checkPfConf(file, text) {
  const errors = [];
  const macros = new Map();
  const ctx = { rulestate: 0, requireOrder: true };
  for (const stmt of statements(text)) {
    let tokens;
    try {
      tokens = lex(stmt, macros);
      if (tokens.length) parseStatement(new Tokens(tokens, stmt.endLine), macros, ctx);
    } catch (e) {
      if (!(e instanceof PfError)) throw e;
      errors.push(...e.before, ...[e.message, ...e.more].map((m) => `${file}:${e.line}: ${m}`));
    }
  }
  return errors;
}

/** Physical lines joined on a trailing backslash, comments dropped, braces spanning lines kept together. */
function statements(text) {
  const lines = text.split("\n");
  const out = [];
  let current = null;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const continued = /\\$/.test(line);
    if (continued) line = line.slice(0, -1);
    current ??= { parts: [], startLine: i + 1 };
    current.parts.push({ text: line, line: i + 1 });
    depth += braceDelta(line);
    if (continued || depth > 0) continue;
    current.endLine = i + 1;
    out.push(current);
    current = null;
    depth = 0;
  }
  if (current) out.push({ ...current, endLine: lines.length });
  return out;
}

function braceDelta(line) {
  let d = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "#") break;
    else if (!quoted && c === "{") d++;
    else if (!quoted && c === "}") d--;
  }
  return d;
}

/** pf's lexer over one statement: tokens {t: kind, v: text, line}. kind: word, number, string, op, keyword. */
function lex(stmt, macros, depth = 0) {
  const tokens = [];
  for (const part of stmt.parts) {
    const s = part.text;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === " " || c === "\t") { i++; continue; }
      if (c === "#") break;
      if (c === '"') {
        const end = s.indexOf('"', i + 1);
        if (end < 0) throw new PfError("unterminated quoted string", part.line);
        tokens.push({ t: "string", v: s.slice(i + 1, end), line: part.line });
        i = end + 1;
        continue;
      }
      if (c === "$") {
        const m = /^\$([A-Za-z0-9_]+)/.exec(s.slice(i));
        const name = m?.[1] ?? "";
        if (!macros.has(name)) throw new PfError(`macro '${name}' not defined`, part.line);
        if (depth > 16) throw new PfError("macro expansion too deep", part.line);
        for (const t of lex({ parts: [{ text: macros.get(name), line: part.line }] }, macros, depth + 1)) tokens.push(t);
        i += name.length + 1;
        continue;
      }
      if (c === "-" && s[i + 1] === ">") { tokens.push({ t: "op", v: "->", line: part.line }); i += 2; continue; }
      const two = s.slice(i, i + 2);
      if (["!=", "<=", ">=", "<>", "><"].includes(two)) { tokens.push({ t: "op", v: two, line: part.line }); i += 2; continue; }
      if (SPECIAL.has(c)) { tokens.push({ t: "op", v: c, line: part.line }); i++; continue; }
      let j = i;
      while (j < s.length && !SPECIAL.has(s[j]) && !/[\s"$]/.test(s[j])) j++;
      if (j === i) throw new PfError("syntax error", part.line);
      const word = s.slice(i, j);
      tokens.push({ t: /^\d+$/.test(word) ? "number" : KEYWORDS.has(word) ? "keyword" : "word", v: word, line: part.line });
      i = j;
    }
  }
  return tokens;
}

class Tokens {
  constructor(list, endLine) {
    this.list = list;
    this.i = 0;
    this.endLine = endLine;
  }
  peek(k = 0) {
    return this.list[this.i + k];
  }
  is(v, k = 0) {
    const t = this.peek(k);
    return !!t && t.v === v && t.t !== "string";
  }
  accept(v) {
    if (!this.is(v)) return false;
    this.i++;
    return true;
  }
  expect(v) {
    if (!this.accept(v)) this.fail();
  }
  next() {
    const t = this.list[this.i++];
    if (!t) this.fail();
    return t;
  }
  /** A string in pf's grammar: a quoted string or a word that is no keyword. */
  string() {
    const t = this.next();
    if (t.t !== "string" && t.t !== "word" && t.t !== "number") this.fail(t);
    return t.v;
  }
  done() {
    return this.i >= this.list.length;
  }
  /** The items of a '{' ... '}' list whose '{' was just read, commas optional (parse.y's comma and optnl). */
  braced(item) {
    const out = [];
    while (!this.accept("}")) {
      this.accept(",");
      if (!this.is("}")) out.push(item());
    }
    return out;
  }
  /** One item, or a braced list of them: pf's `item | "{" item-list "}"`, which may not be empty. */
  oneOrList(item) {
    if (!this.accept("{")) return [item()];
    const out = this.braced(item);
    if (!out.length) this.fail(this.peek(-1));
    return out;
  }
  fail(t = this.peek()) {
    throw new PfError("syntax error", t?.line ?? this.endLine);
  }
}

function parseStatement(ts, macros, ctx) {
  const first = ts.peek();
  // varset: STRING '=' varstring. A keyword cannot be a macro's name.
  if (ts.is("=", 1)) {
    if (first.t !== "word") ts.fail(first);
    ts.i += 2;
    const value = [];
    while (!ts.done()) value.push(ts.string());
    if (!value.length) ts.fail();
    macros.set(first.v, value.join(" "));
    return;
  }
  const word = first.t === "string" ? "" : first.v;
  const order = (state) => {
    if (ctx.requireOrder && ctx.rulestate > state) throw new PfError(ORDER_MESSAGE, ts.endLine);
    ctx.rulestate = state;
  };
  switch (word) {
    case "table":
      return tableDef(ts);
    case "set":
      order(STATE.option);
      return option(ts, ctx);
    case "scrub":
      order(STATE.scrub);
      return scrubRule(ts);
    case "no":
      if (ts.is("scrub", 1)) {
        order(STATE.scrub);
        ts.i++;
        return scrubRule(ts);
      }
      order(STATE.nat);
      return natRule(ts);
    case "nat":
    case "rdr":
      order(STATE.nat);
      return natRule(ts);
    case "nat-anchor":
    case "rdr-anchor":
    case "binat-anchor":
      order(STATE.nat);
      return transAnchor(ts);
    case "pass":
    case "block":
    case "match":
      order(STATE.filter);
      return pfRule(ts);
    case "anchor":
      order(STATE.filter);
      return anchorRule(ts);
    case "antispoof":
      order(STATE.filter);
      return antispoof(ts);
    case "ether":
    case "altq":
    case "queue":
    case "binat":
    case "include":
    case "load":
      throw new PfError(`fake pfctl: '${word}' statements are not modelled (test/host/fakes/pf-grammar.mjs)`, first.line);
    default:
      ts.fail(first);
  }
}

function tableDef(ts) {
  ts.expect("table");
  ts.expect("<");
  ts.string();
  ts.expect(">");
  while (!ts.done()) {
    if (ts.accept("persist") || ts.accept("const") || ts.accept("counters")) continue;
    if (ts.accept("file")) {
      if (ts.next().t !== "string") ts.fail();
      continue;
    }
    if (ts.accept("{")) {
      // An empty list is allowed here: it clears the table on load.
      ts.braced(() => {
        ts.accept("!");
        if (!ts.accept("self")) tableAddress(ts);
      });
      continue;
    }
    ts.fail();
  }
}

function tableAddress(ts) {
  const t = ts.next();
  if (t.t === "op" && t.v === "(") {
    ts.string();
    ts.expect(")");
    return;
  }
  if (t.t !== "word" && t.t !== "number") ts.fail(t);
  const h = addressOf(t);
  if (ts.accept("/")) mask(ts, h.af);
}

function option(ts, ctx) {
  ts.expect("set");
  const t = ts.next();
  switch (t.v) {
    case "skip":
      ts.expect("on");
      ifspec(ts);
      break;
    case "block-policy":
    case "fail-policy":
      if (!ts.accept("drop") && !ts.accept("return")) ts.fail();
      break;
    case "require-order":
      // parse.y's yesno: the keyword "no", or the word "yes".
      if (ts.accept("no")) ctx.requireOrder = false;
      else if (ts.string() === "yes") ctx.requireOrder = true;
      else ts.fail(ts.peek(-1));
      break;
    case "loginterface":
    case "ruleset-optimization":
    case "optimization":
    case "debug":
    case "hostid":
      ts.string();
      break;
    case "state-policy":
      if (!ts.accept("if-bound") && !ts.accept("floating")) ts.fail();
      break;
    case "keepcounters":
      break;
    case "limit":
    case "timeout":
      ts.oneOrList(() => {
        ts.string();
        numberToken(ts);
      });
      break;
    default:
      ts.fail(t);
  }
  if (!ts.done()) ts.fail();
}

function scrubRule(ts) {
  ts.expect("scrub");
  if (!ts.accept("in")) ts.accept("out");
  logQuick(ts);
  if (ts.accept("on")) ifspec(ts);
  const af = addressFamily(ts);
  if (ts.accept("proto")) proto(ts);
  fromTo(ts, af);
  while (!ts.done()) {
    if (ts.accept("no-df") || ts.accept("random-id")) continue;
    if (ts.accept("fragment")) {
      ts.expect("reassemble");
      continue;
    }
    if (ts.accept("min-ttl") || ts.accept("max-mss")) {
      numberToken(ts);
      continue;
    }
    if (ts.accept("reassemble")) {
      if (ts.string() !== "tcp") ts.fail();
      continue;
    }
    ts.fail();
  }
}

function natRule(ts) {
  const negated = ts.accept("no");
  const kind = ts.next().v;
  if (kind !== "nat" && kind !== "rdr") ts.fail();
  if (ts.accept("pass")) logQuick(ts);
  if (ts.accept("on")) ifspec(ts);
  const af = addressFamily(ts);
  if (ts.accept("proto")) proto(ts);
  fromTo(ts, af);
  if (ts.accept("tag")) ts.string();
  if (ts.is("!") && ts.is("tagged", 1)) ts.i++;
  if (ts.accept("tagged")) ts.string();
  let redirect = null;
  if (ts.accept("->")) {
    redirect = redirSpec(ts);
    if (ts.accept("port")) portSpec(ts);
    for (;;) {
      if (ts.accept("bitmask") || ts.accept("random") || ts.accept("round-robin") || ts.accept("static-port") || ts.accept("sticky-address")) continue;
      if (ts.accept("source-hash")) {
        if (!ts.done() && ts.peek().t !== "keyword") ts.string();
        continue;
      }
      break;
    }
  }
  if (!ts.done()) ts.fail();
  if (negated && redirect) throw new PfError("translation rule with 'no' does not need '->'", ts.endLine);
  if (!negated && !redirect) throw new PfError("translation rule requires '-> address'", ts.endLine);
  if (redirect && af && redirect.every((h) => h.af && h.af !== af)) throw new PfError("no translation address with matching address family found.", ts.endLine);
}

function redirSpec(ts) {
  return ts.oneOrList(() => redirHost(ts));
}

function redirHost(ts) {
  if (ts.is("(")) return dynamicAddress(ts);
  if (ts.is("<")) {
    ts.expect("<");
    ts.string();
    ts.expect(">");
    return { af: null };
  }
  const h = addressOf(ts.next());
  if (ts.accept("/")) mask(ts, h.af);
  return h;
}

function transAnchor(ts) {
  ts.next();
  const name = ts.next();
  if (name.t !== "string" && name.t !== "word") ts.fail(name);
  if (ts.accept("on")) ifspec(ts);
  const af = addressFamily(ts);
  if (ts.accept("proto")) proto(ts);
  fromTo(ts, af);
  if (!ts.done()) ts.fail();
}

function pfRule(ts) {
  const action = ts.next().v;
  if (action === "block") {
    if (ts.accept("drop") || ts.accept("return") || ts.accept("return-rst") || ts.accept("return-icmp") || ts.accept("return-icmp6")) {
      if (ts.is("(")) parenthesised(ts);
    }
  }
  if (!ts.accept("in")) ts.accept("out");
  logQuick(ts);
  if (ts.accept("on")) ifspec(ts);
  if (ts.accept("route-to") || ts.accept("reply-to") || ts.accept("dup-to")) redirSpec(ts);
  const af = addressFamily(ts);
  const protos = ts.accept("proto") ? proto(ts) : [];
  const { ports } = fromTo(ts, af);
  filterOpts(ts);
  if (!ts.done()) ts.fail();
  // rule_consistent(): a port needs tcp or udp, for every protocol the rule expands to.
  if (ports && (!protos.length || protos.some((p) => p !== "tcp" && p !== "udp"))) {
    throw new PfError("port only applies to tcp/udp", ts.endLine, { more: ["skipping rule due to errors", "rule expands to no valid combination"] });
  }
}

function anchorRule(ts) {
  ts.expect("anchor");
  if (!ts.done() && ts.peek().t === "string") ts.next();
  else if (!ts.done() && ts.peek().t === "word") ts.next();
  if (!ts.accept("in")) ts.accept("out");
  if (ts.accept("on")) ifspec(ts);
  const af = addressFamily(ts);
  if (ts.accept("proto")) proto(ts);
  fromTo(ts, af);
  filterOpts(ts);
  if (ts.is("{")) throw new PfError("fake pfctl: inline anchor bodies are not modelled (test/host/fakes/pf-grammar.mjs)", ts.peek().line);
  if (!ts.done()) ts.fail();
}

function antispoof(ts) {
  ts.expect("antispoof");
  logQuick(ts);
  ts.expect("for");
  ifspec(ts);
  addressFamily(ts);
  if (ts.accept("label")) ts.string();
  if (!ts.done()) ts.fail();
}

function logQuick(ts) {
  for (;;) {
    if (ts.accept("log")) {
      if (ts.is("(")) parenthesised(ts);
      continue;
    }
    if (ts.accept("quick")) continue;
    return;
  }
}

function parenthesised(ts) {
  ts.expect("(");
  let depth = 1;
  while (depth) {
    const t = ts.next();
    if (t.v === "(" && t.t === "op") depth++;
    if (t.v === ")" && t.t === "op") depth--;
  }
}

function addressFamily(ts) {
  if (ts.accept("inet")) return "inet";
  if (ts.accept("inet6")) return "inet6";
  return null;
}

function ifspec(ts) {
  ts.oneOrList(() => {
    ts.accept("!");
    return ts.string();
  });
}

/** The protocols named, by name (6 and 17 count as tcp and udp). */
function proto(ts) {
  const out = [];
  const one = () => {
    const t = ts.next();
    if (t.t === "number") {
      if (Number(t.v) > 255) throw new PfError("protocol outside range", t.line);
      out.push(t.v === "6" ? "tcp" : t.v === "17" ? "udp" : t.v);
      return;
    }
    if (t.t !== "word" && t.t !== "string") ts.fail(t);
    if (!PROTOCOLS.has(t.v)) throw new PfError(`unknown protocol ${t.v}`, t.line);
    out.push(t.v);
  };
  ts.oneOrList(one);
  return out;
}

/** fromto: "all" | [ "from" ipportspec [ os ] ] [ "to" ipportspec ]; an af that no listed address can have leaves nothing. */
function fromTo(ts, af) {
  let ports = false;
  if (ts.accept("all")) return { ports };
  for (const side of ["from", "to"]) {
    if (!ts.accept(side)) continue;
    const spec = ipPortSpec(ts);
    ports ||= spec.port;
    if (side === "from" && ts.accept("os")) stringList(ts);
    if (af && spec.hosts.length && spec.hosts.every((h) => h.af && h.af !== af)) throw new PfError("rule expands to no valid combination", ts.endLine);
  }
  return { ports };
}

function ipPortSpec(ts) {
  let hosts = [];
  if (!ts.is("port")) hosts = ipSpec(ts);
  const port = ts.accept("port");
  if (port) portSpec(ts);
  return { hosts, port };
}

function stringList(ts) {
  ts.oneOrList(() => ts.string());
}

function ipSpec(ts) {
  if (ts.accept("any")) return [];
  return ts.oneOrList(() => host(ts));
}

function host(ts) {
  ts.accept("!");
  if (ts.accept("self") || ts.accept("no-route") || ts.accept("urpf-failed")) return { af: null };
  if (ts.is("<")) {
    ts.expect("<");
    ts.string();
    ts.expect(">");
    return { af: null };
  }
  if (ts.is("(")) return dynamicAddress(ts);
  const t = ts.next();
  if (t.t === "keyword" || t.t === "op") ts.fail(t);
  const h = addressOf(t);
  if (ts.accept("/")) mask(ts, h.af);
  return h;
}

/** `(ifname)` or `(ifname:network)` and the like: the interface's addresses, whichever family. */
function dynamicAddress(ts) {
  ts.expect("(");
  const name = ts.string();
  if (!/^[A-Za-z][A-Za-z0-9_.]*(:(network|broadcast|peer|0))*$/.test(name)) ts.fail();
  ts.expect(")");
  return { af: null };
}

/** A literal address (its family), or an interface or group name (either family). Names are not resolved here. */
function addressOf(t) {
  const v = t.v;
  if (/^\d+(\.\d+){0,3}$/.test(v)) {
    if (v.split(".").some((o) => Number(o) > 255)) throw new PfError(`could not parse host specification`, t.line);
    return { af: "inet" };
  }
  if (v.includes(":")) {
    if (!/^[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?$/.test(v) || (v.match(/::/g) ?? []).length > 1) throw new PfError(`could not parse host specification`, t.line);
    return { af: "inet6" };
  }
  // An interface (driver name and unit, as vtnet0 or lo0) stands for its addresses, either family.
  if (/^[a-z][a-z0-9_]*\d+$/.test(v)) return { af: null };
  // Anything else would be a host name for pfctl to resolve; there is no resolver here.
  throw new PfError("could not parse host specification", t.line, { before: [`no IP address found for ${v}`] });
}

function mask(ts, af) {
  const t = ts.next();
  if (t.t !== "number") ts.fail(t);
  const max = af === "inet6" ? 128 : 32;
  // pfctl hands "address/bits" to host(), which refuses a mask longer than the family's.
  if (Number(t.v) > max) throw new PfError("could not parse host specification", t.line);
}

function portSpec(ts) {
  const one = () => {
    if (["=", "!=", "<", "<=", ">", ">="].includes(ts.peek()?.v) && ts.peek().t === "op") ts.i++;
    const t = ts.next();
    if (t.t === "number") {
      if (Number(t.v) > 65535) throw new PfError(`illegal port value ${t.v}`, t.line);
      if (ts.is("<>") || ts.is("><")) {
        ts.i++;
        numberToken(ts);
      }
      return;
    }
    if (t.t === "word" && /^\d+:(\d+|\*)$/.test(t.v)) return;
    if (t.t !== "word" && t.t !== "string") ts.fail(t);
    if (!SERVICES.has(t.v)) throw new PfError(`unknown port ${t.v}`, t.line);
  };
  ts.oneOrList(one);
}

function filterOpts(ts) {
  while (!ts.done() && !ts.is("{")) {
    if (ts.accept("no") || ts.accept("keep") || ts.accept("modulate") || ts.accept("synproxy")) {
      ts.expect("state");
      if (ts.is("(")) parenthesised(ts);
      continue;
    }
    if (ts.accept("flags")) {
      if (ts.accept("any")) continue;
      if (!ts.is("/")) {
        const f = ts.string();
        if (!/^[FSRPAUEW]+$/.test(f)) ts.fail();
      }
      ts.expect("/");
      const f = ts.string();
      if (!/^[FSRPAUEW]+$/.test(f)) ts.fail();
      continue;
    }
    if (ts.accept("label") || ts.accept("tag")) {
      ts.string();
      continue;
    }
    if (ts.is("!") && ts.is("tagged", 1)) ts.i++;
    if (ts.accept("tagged")) {
      ts.string();
      continue;
    }
    if (ts.accept("icmp-type") || ts.accept("icmp6-type")) {
      const one = () => {
        ts.string();
        if (ts.accept("code")) ts.string();
      };
      ts.oneOrList(one);
      continue;
    }
    if (ts.accept("rtable") || ts.accept("prio")) {
      numberToken(ts);
      continue;
    }
    if (ts.accept("allow-opts") || ts.accept("fragment")) continue;
    ts.fail();
  }
}

function numberToken(ts) {
  const t = ts.next();
  if (t.t !== "number") ts.fail(t);
}
