/**
 * CST -> AST. Tolerant of recovered nodes: tokens inserted by error recovery count as missing,
 * and a missing part becomes `undefined` rather than a fabricated value.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import { sharedSpan, type Span } from "./source.js";
import { SERVICE_ACCOUNT_LABEL as A_SERVICE_ACCOUNT_LABEL } from "./ast.js";
import { closest } from "./suggest.js";
import * as T from "./tokens.js";

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function real(t: IToken): boolean {
  return !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

function tokensOf(node: CstNode, key: string): IToken[] {
  const list = (node.children as Children)[key];
  if (!list) return [];
  const out = list.filter((e): e is IToken => isToken(e) && real(e));
  return out.length > 1 ? out.sort((a, b) => a.startOffset - b.startOffset) : out;
}

function tok(node: CstNode, key: string): IToken | undefined {
  const list = (node.children as Children)[key];
  if (!list) return undefined;
  if (list.length === 1) {
    const e = list[0]!;
    return isToken(e) && real(e) ? e : undefined;
  }
  return tokensOf(node, key)[0];
}

function nodes(node: CstNode, key: string): CstNode[] {
  const list = (node.children as Children)[key];
  if (!list) return [];
  return list.filter((e): e is CstNode => !isToken(e));
}

function sub(node: CstNode, key: string): CstNode | undefined {
  return nodes(node, key)[0];
}

/**
 * Spans hold small integers. Chevrotain's offsets start out as NaN, so a value read from them is a
 * double to V8; `| 0` keeps every span field a small integer, which halves the memory of an AST.
 */
export function tokenSpan(t: IToken): Span {
  return sharedSpan(t.startOffset | 0, (t.startOffset + t.image.length) | 0);
}

/** The span of every real token under a CST node; undefined if recovery left it empty. */
function cstSpan(node: CstNode): Span | undefined {
  let start = Infinity;
  let end = -Infinity;
  const walk = (n: CstNode) => {
    for (const list of Object.values(n.children as Children)) {
      if (!list) continue;
      for (const e of list) {
        if (isToken(e)) {
          if (!real(e)) continue;
          if (e.startOffset < start) start = e.startOffset;
          const e2 = e.startOffset + e.image.length;
          if (e2 > end) end = e2;
        } else walk(e);
      }
    }
  };
  walk(node);
  return start === Infinity ? undefined : sharedSpan(start | 0, end | 0);
}

/**
 * The entries that are there, in a list of exactly their number: trees keep tens of thousands of
 * these lists, and one made by filter (or grown by push) has room for 16 more.
 */
function defined<T>(list: (T | undefined)[]): readonly T[] {
  return some(list.includes(undefined) ? list.filter((x): x is T => x !== undefined).slice() : (list as T[]));
}

/** The one empty list of every tree: most rules have no ICMP clause, most CIDRs no exceptions, and each empty array costs 32 bytes. */
const NONE: readonly never[] = Object.freeze([]);

function some<T>(list: T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

/*
 * A workspace repeats its names (api, worker, the tenants' names) in every file, and each token's
 * image is a string of its own: 24 bytes for a short one. A small direct-mapped cache of recent
 * short words shares them (bounded: a miss replaces the slot). Longer images are slices of the
 * text, mostly unique; they stay as they are.
 */
/*
 * A token's image is a slice of the document's text, and V8 keeps a slice of 13 characters or more
 * as a view of that text: a name kept in the tree, or in a cache keyed by its text (host names,
 * CIDRs), kept the whole document alive, one version of it per keystroke that made a new name
 * (4 MB after 200 typed characters in a 2,000-line file). `own` copies such a text.
 */
function own(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

const WORD_CACHE_BITS = 12;
const wordCache: string[] = new Array<string>(1 << WORD_CACHE_BITS).fill("");

function word(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  if (n > 12) return own(s);
  const i =
    (Math.imul(n, 0x9e3779b1) ^ Math.imul(s.charCodeAt(0), 0x85ebca6b) ^ Math.imul(s.charCodeAt(n >> 1), 0x27d4eb2f) ^ Math.imul(s.charCodeAt(n - 1), 0xc2b2ae35)) >>>
    (32 - WORD_CACHE_BITS);
  const cached = wordCache[i]!;
  if (cached === s) return cached;
  wordCache[i] = s;
  return s;
}

/*
 * Names are immutable leaves (no kind: no WeakMap or Map of the compiler is keyed by one), so a
 * name with the same text and span as one made recently is that one: files written from the same
 * template put the same names at the same offsets. Bounded like the span cache.
 */
const identCache: (A.Ident | undefined)[] = new Array<A.Ident | undefined>(1 << 14).fill(undefined);

type PortValue = NonNullable<A.PortSpec["port"]>;
const portCache: (PortValue | undefined)[] = new Array<PortValue | undefined>(1 << 13).fill(undefined);

/** A port number, shared like a name (most rules' ports are numbers at offsets other files repeat). */
function portNumber(t: IToken): PortValue {
  const span = tokenSpan(t);
  const value = Number(t.image);
  const i = (Math.imul(span.start, 0x85ebca6b) + Math.imul(value, 0x9e3779b1)) >>> 19;
  const cached = portCache[i];
  if (cached !== undefined && cached.span === span && cached.value === value && !cached.named && !cached.variable) return cached;
  const made: PortValue = { value, named: false, variable: false, span };
  portCache[i] = made;
  return made;
}

function ident(t: IToken | undefined): A.Ident | undefined {
  if (!t) return undefined;
  const span = tokenSpan(t);
  const i = (Math.imul(span.start, 0x85ebca6b) + Math.imul(span.end, 0x9e3779b1)) >>> 18;
  const cached = identCache[i];
  if (cached !== undefined && cached.span === span && cached.text === t.image) return cached;
  const made = { text: word(t.image), span };
  identCache[i] = made;
  return made;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly file: string,
    private readonly fallback: Span,
  ) {}

  private spanOf(node: CstNode): Span {
    const loc = node.location;
    if (!node.recoveredNode && loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset) && loc.endOffset! >= loc.startOffset)
      return sharedSpan(loc.startOffset | 0, (loc.endOffset! + 1) | 0);
    // Recovered nodes may hold inserted tokens anywhere: walk them.
    return cstSpan(node) ?? this.fallback;
  }

  private error(span: Span, message: string): void {
    this.diagnostics.push(diag("syntaxError", { file: this.file, span }, { message }));
  }

  string(t: IToken | undefined): A.StringLit | undefined {
    if (!t) return undefined;
    const span = tokenSpan(t);
    // Unterminated strings are reported by parse() from the token stream, where recovery cannot skip them.
    const terminated = t.tokenType !== T.UnterminatedString;
    // An unterminated string runs to the end of its line: white space there is not part of its value
    // (the language server's texts carry slack there, lsp/slack.ts).
    const body = terminated ? t.image.slice(1, -1) : t.image.slice(1).replace(/\s+$/, "");
    // Built a character at a time, a value is a chain of concatenations (32 bytes a character).
    if (!body.includes("\\")) return { value: own(body), span };
    let value = "";
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== "\\") {
        value += c;
        continue;
      }
      const n = body[i + 1];
      const esc = n === '"' ? '"' : n === "\\" ? "\\" : n === "n" ? "\n" : n === "t" ? "\t" : undefined;
      if (esc === undefined) {
        const at = span.start + 1 + i;
        this.diagnostics.push(
          diag("invalidEscape", { file: this.file, span: { start: at, end: at + (n ? 2 : 1) } }, { text: "\\" + (n ?? "") }),
        );
        value += n ?? "";
      } else value += esc;
      i++;
    }
    return { value, span };
  }

  fileItems(item: CstNode[]): A.Item[] {
    const items: A.Item[] = [];
    for (const it of item) {
      const imp = sub(it, "importDecl");
      const ten = sub(it, "tenantDecl");
      const base = sub(it, "baselineDecl");
      const rs = sub(it, "rulesetDecl");
      const ex = sub(it, "expectStmt");
      const rule = sub(it, "ruleStmt");
      const wl = sub(it, "workloadDecl");
      if (imp) items.push(this.importDecl(imp));
      else if (ten) items.push(this.tenantDecl(ten));
      else if (base) items.push(this.baselineDecl(base));
      else if (rs) items.push(this.rulesetDecl(rs));
      else if (ex) items.push(this.expectStmt(ex));
      else if (rule) {
        const r = this.ruleStmt(rule);
        this.error(
          r.actionSpan,
          `a rule must belong to a tenant: write 'tenant NAME ${r.action} ...' or put it inside 'tenant NAME { ... }'`,
        );
        items.push(r);
      } else if (wl) {
        const w = this.workloadDecl(wl);
        this.error(w.span, "a workload must be declared inside 'tenant NAME { ... }'");
        items.push(w);
      }
    }
    return items;
  }

  importDecl(n: CstNode): A.ImportDecl {
    return { kind: "Import", span: this.spanOf(n), path: this.string(tok(n, "path")) };
  }

  /** One statement of a tenant block (undefined when recovery left nothing of it). */
  tenantItem(item: CstNode): A.TenantItem | undefined {
    const w = sub(item, "workloadDecl");
    const r = sub(item, "ruleStmt");
    const u = sub(item, "useStmt");
    const m = sub(item, "modeStmt");
    const d = sub(item, "dnsModeStmt");
    const ex = sub(item, "expectStmt");
    if (ex) return this.expectStmt(ex);
    if (w) return this.workloadDecl(w);
    if (r) return this.ruleStmt(r);
    if (u) return this.useStmt(u);
    if (m) return { kind: "Mode", span: this.spanOf(m), value: ident(tok(m, "value")) };
    if (d) return { kind: "DnsMode", span: this.spanOf(d), value: ident(tok(d, "value")) };
    return undefined;
  }

  tenantDecl(n: CstNode): A.TenantDecl {
    const kw = tok(n, "KwTenant");
    const open = tok(n, "LBrace");
    const close = tok(n, "RBrace");
    const body: A.TenantItem[] = [];
    for (const item of nodes(n, "tenantItem")) {
      const built = this.tenantItem(item);
      if (built) body.push(built);
    }
    const oneLine = sub(n, "ruleStmt");
    if (oneLine) body.push(this.ruleStmt(oneLine));
    return {
      kind: "Tenant",
      span: this.spanOf(n),
      keywordSpan: kw ? tokenSpan(kw) : this.spanOf(n),
      name: ident(tok(n, "name")),
      block: open !== undefined || (n.children as Children)["LBrace"] !== undefined,
      body,
      openBrace: open ? tokenSpan(open) : undefined,
      closeBrace: close ? tokenSpan(close) : undefined,
    };
  }

  rulesetDecl(n: CstNode): A.RulesetDecl {
    const open = tok(n, "LBrace");
    const close = tok(n, "RBrace");
    const body: A.RulesetItem[] = [];
    for (const item of nodes(n, "rulesetItem")) {
      const r = sub(item, "ruleStmt");
      const u = sub(item, "useStmt");
      const d = sub(item, "defaultDenyStmt");
      if (r) body.push(this.ruleStmt(r));
      else if (u) body.push(this.useStmt(u));
      else if (d) body.push(this.defaultDeny(d));
    }
    return {
      kind: "Ruleset",
      span: this.spanOf(n),
      exported: tok(n, "KwExport") !== undefined,
      name: ident(tok(n, "name")),
      params: nodes(n, "param").map((p) => ({
        kind: "Param" as const,
        span: this.spanOf(p),
        name: ident(tok(p, "name")),
        type: ident(tok(p, "type")),
        default: sub(p, "argValue") ? this.argValue(sub(p, "argValue")!) : undefined,
      })),
      body,
      openBrace: open ? tokenSpan(open) : undefined,
      closeBrace: close ? tokenSpan(close) : undefined,
    };
  }

  argValue(n: CstNode): A.ArgValue | undefined {
    const span = this.spanOf(n);
    const num = tok(n, "number");
    if (num) {
      const end = tok(n, "end");
      return { kind: "ArgValue", span, text: own(num.image), form: "number", end: end ? Number(end.image) : undefined, protocol: ident(tok(n, "protocol")) };
    }
    const str = tok(n, "string");
    if (str) return { kind: "ArgValue", span, text: this.string(str)!.value, form: "string" };
    for (const [label, form] of [
      ["host", "host"],
      ["address", "address"],
      ["word", "word"],
      ["variable", "variable"],
    ] as const) {
      const t = tok(n, label);
      if (t) return { kind: "ArgValue", span, text: own(t.image), form };
    }
    return undefined;
  }

  useStmt(n: CstNode): A.UseStmt {
    const kw = tok(n, "KwUse");
    const list = sub(n, "targetList");
    return {
      kind: "Use",
      span: this.spanOf(n),
      keywordSpan: kw ? tokenSpan(kw) : this.spanOf(n),
      name: ident(tok(n, "name")),
      args: some(nodes(n, "arg").map((a) => {
        const v = sub(a, "argValue");
        return { kind: "Arg" as const, span: this.spanOf(a), name: ident(tok(a, "name")), value: v ? this.argValue(v) : undefined };
      })),
      for: list ? this.targetList(list, tok(n, "KwFor") ? tokenSpan(tok(n, "KwFor")!) : undefined) : undefined,
      auditSpan: tok(n, "KwAudit") ? tokenSpan(tok(n, "KwAudit")!) : undefined,
    };
  }

  baselineDecl(n: CstNode): A.BaselineDecl {
    const kw = tok(n, "KwBaseline");
    const open = tok(n, "LBrace");
    const close = tok(n, "RBrace");
    const body: A.BaselineItem[] = [];
    for (const item of nodes(n, "baselineItem")) {
      const a = sub(item, "appliesStmt");
      const d = sub(item, "defaultDenyStmt");
      const v = sub(item, "visibilityStmt");
      const m = sub(item, "modeStmt");
      const r = sub(item, "ruleStmt");
      const u = sub(item, "useStmt");
      if (a) {
        const where = sub(a, "selector");
        const nodesKw = tok(a, "nodesKeyword");
        const nodeSel = sub(a, "nodeSelector");
        body.push({
          kind: "Applies",
          span: this.spanOf(a),
          allTenants: tok(a, "all") !== undefined,
          tenants: some(tokensOf(a, "tenant").map((t) => ident(t)!)),
          where: where ? this.selector(where) : undefined,
          namespaces: some(tokensOf(a, "namespace").map((t) => ident(t)!)),
          nodes: nodesKw
            ? { span: nodeSel ? sharedSpan(tokenSpan(nodesKw).start, this.spanOf(nodeSel).end) : tokenSpan(nodesKw), where: nodeSel ? this.selector(nodeSel) : undefined }
            : undefined,
        });
      } else if (d) body.push(this.defaultDeny(d));
      else if (v) body.push({ kind: "Visibility", span: this.spanOf(v) });
      else if (m) body.push({ kind: "Mode", span: this.spanOf(m), value: ident(tok(m, "value")) });
      else if (r) body.push(this.ruleStmt(r));
      else if (u) body.push(this.useStmt(u));
    }
    return {
      kind: "Baseline",
      span: this.spanOf(n),
      keywordSpan: kw ? tokenSpan(kw) : this.spanOf(n),
      name: ident(tok(n, "name")),
      body,
      openBrace: open ? tokenSpan(open) : undefined,
      closeBrace: close ? tokenSpan(close) : undefined,
    };
  }

  defaultDeny(n: CstNode): A.DefaultDenyStmt {
    const list = sub(n, "directionList");
    return {
      kind: "DefaultDeny",
      span: this.spanOf(n),
      directions: (list ? tokensOf(list, "direction") : []).map((t) => ({
        direction: t.tokenType === T.Kw.ingress ? ("ingress" as const) : ("egress" as const),
        span: tokenSpan(t),
      })),
    };
  }

  workloadDecl(n: CstNode): A.WorkloadDecl {
    const sel = sub(n, "selector");
    return {
      kind: "Workload",
      span: this.spanOf(n),
      name: ident(tok(n, "name")),
      selector: sel ? this.selector(sel) : undefined,
      namespace: ident(tok(n, "namespace")),
    };
  }

  selector(n: CstNode): A.Selector {
    return { kind: "Selector", span: this.spanOf(n), terms: nodes(n, "selectorTerm").map((t) => this.selectorTerm(t)) };
  }

  selectorTerm(n: CstNode): A.SelectorTerm {
    const sa = tok(n, "serviceAccount");
    if (sa) {
      const v = sub(n, "labelValue");
      const value = v ? this.labelValue(v) : undefined;
      return {
        kind: "SelectorTerm",
        span: this.spanOf(n),
        key: { text: A_SERVICE_ACCOUNT_LABEL, span: tokenSpan(sa), quoted: false },
        op: "=",
        values: value ? [value] : NONE,
        serviceAccount: true,
      };
    }
    const keyNode = sub(n, "labelKey");
    const key = keyNode ? this.labelKey(keyNode) : undefined;
    const values = defined(nodes(n, "labelValue").map((v) => this.labelValue(v)));
    const opTok = tok(n, "op");
    let op: A.SelectorOp;
    if (tok(n, "Bang")) op = "!exists";
    else if (!opTok) op = (n.children as Children)["op"] ? "=" : "exists";
    else if (opTok.tokenType === T.NotEquals) op = "!=";
    else if (opTok.tokenType === T.Kw.in) op = "in";
    else if (opTok.tokenType === T.Kw.notin) op = "notin";
    else op = "=";
    return { kind: "SelectorTerm", span: this.spanOf(n), key, op, values };
  }

  labelKey(n: CstNode): A.LabelText | undefined {
    const parts = nodes(n, "labelKeyPart")
      .map((p) => tok(p, "Host") ?? tok(p, "Name"))
      .filter((t): t is IToken => t !== undefined);
    if (parts.length === 0) return undefined;
    // Rebuilt from the token images so whitespace around '/' is not part of the key.
    return { text: own(parts.map((t) => t.image).join("/")), span: this.spanOf(n), quoted: false };
  }

  labelValue(n: CstNode): A.LabelText | undefined {
    const s = tok(n, "StringLit");
    if (s) {
      const lit = this.string(s)!;
      return { text: lit.value, span: lit.span, quoted: true };
    }
    const t = tok(n, "Name") ?? tok(n, "Host") ?? tok(n, "NumberLit") ?? tok(n, "Address") ?? tok(n, "Variable");
    return t ? { text: word(t.image), span: tokenSpan(t), quoted: false } : undefined;
  }

  ruleStmt(n: CstNode): A.RuleStmt {
    const action = tok(n, "action");
    const dir = tok(n, "direction");
    const bareNode = sub(n, "bare");
    let from: A.TargetList | undefined;
    let to: A.TargetList | undefined;
    let ports: A.PortClause | undefined;
    let http: A.HttpClause | undefined;
    let dns: A.DnsClause | undefined;
    let grpc: A.GrpcClause | undefined;
    let kafka: A.KafkaClause | undefined;
    let authenticated: Span | undefined;
    const icmp: A.IcmpClause[] = [];
    const once = <C extends { keywordSpan: Span }>(prev: C | undefined, next: C, clause: string): C => {
      if (prev) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: next.keywordSpan }, { clause }));
      return prev ?? next;
    };
    for (const clause of nodes(n, "ruleClause")) {
      const kw = tok(clause, "keyword");
      const auth = tok(clause, "authenticated");
      if (auth) {
        if (authenticated) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: tokenSpan(auth) }, { clause: "authenticated" }));
        authenticated ??= tokenSpan(auth);
        continue;
      }
      const grpcNode = sub(clause, "grpcClause");
      if (grpcNode) {
        const k = tok(grpcNode, "KwGrpc");
        const g: A.GrpcClause = {
          kind: "GrpcClause",
          span: this.spanOf(grpcNode),
          keywordSpan: k ? tokenSpan(k) : this.spanOf(grpcNode),
          methods: tokensOf(grpcNode, "method").map((m) => this.string(m)!),
        };
        grpc = once(grpc, g, "grpc");
        continue;
      }
      const kafkaNode = sub(clause, "kafkaClause");
      if (kafkaNode) {
        const k = tok(kafkaNode, "KwKafka");
        const c: A.KafkaClause = {
          kind: "KafkaClause",
          span: this.spanOf(kafkaNode),
          keywordSpan: k ? tokenSpan(k) : this.spanOf(kafkaNode),
          rules: nodes(kafkaNode, "kafkaRule").map((r) => ({ span: this.spanOf(r), role: ident(tok(r, "role")), topic: this.string(tok(r, "topic")) })),
        };
        kafka = once(kafka, c, "kafka");
        continue;
      }
      const icmpNode = sub(clause, "icmpClause");
      if (icmpNode) {
        const c = this.icmpClauseOf(icmpNode);
        if (icmp.some((x) => x.family === c.family)) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: c.keywordSpan }, { clause: c.family === "IPv6" ? "icmpv6" : "icmp" }));
        else icmp.push(c);
        continue;
      }
      const dnsNode = sub(clause, "dnsClause");
      if (dnsNode) {
        const k = tok(dnsNode, "KwDns");
        const d: A.DnsClause = {
          kind: "DnsClause",
          span: this.spanOf(dnsNode),
          keywordSpan: k ? tokenSpan(k) : this.spanOf(dnsNode),
          patterns: tokensOf(dnsNode, "pattern").map((p) => this.string(p)!),
        };
        if (dns) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: d.keywordSpan }, { clause: "dns" }));
        else dns = d;
        continue;
      }
      const httpNode = sub(clause, "httpClause");
      if (httpNode) {
        const h = this.httpClause(httpNode);
        if (http) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: h.keywordSpan }, { clause: "http" }));
        else http = h;
        continue;
      }
      if (!kw) continue;
      if (kw.tokenType === T.Kw.from || kw.tokenType === T.Kw.to) {
        const listNode = sub(clause, "targetList");
        const list = this.targetList(listNode, tokenSpan(kw));
        const isFrom = kw.tokenType === T.Kw.from;
        if (isFrom ? from : to)
          this.diagnostics.push(diag("duplicateClause", { file: this.file, span: tokenSpan(kw) }, { clause: kw.image }));
        else if (isFrom) from = list;
        else to = list;
      } else {
        const list = sub(clause, "portList");
        const clauseSpan = this.spanOf(clause);
        const pc: A.PortClause = {
          kind: "PortClause",
          span: clauseSpan,
          keywordSpan: tokenSpan(kw),
          ports: list ? some(nodes(list, "portSpec").map((p) => this.portSpec(p))) : NONE,
        };
        if (ports) this.diagnostics.push(diag("duplicateClause", { file: this.file, span: tokenSpan(kw) }, { clause: "port" }));
        else ports = pc;
      }
    }
    return {
      kind: "Rule",
      span: this.spanOf(n),
      action: T.isKeyword(action, "deny") ? "deny" : "allow",
      actionSpan: action ? tokenSpan(action) : this.spanOf(n),
      direction: dir ? (dir.tokenType === T.Kw.ingress ? "ingress" : "egress") : undefined,
      directionSpan: dir ? tokenSpan(dir) : undefined,
      withinNamespace: tok(n, "KwWithin") !== undefined,
      bare: bareNode ? this.targetList(bareNode, undefined) : undefined,
      from,
      to,
      ports,
      http,
      dns,
      grpc,
      kafka,
      icmp: some(icmp),
      authenticatedSpan: authenticated,
    };
  }

  targetList(n: CstNode | undefined, keywordSpan: Span | undefined): A.TargetList {
    const targets = n ? defined(nodes(n, "target").map((t) => this.target(t))) : NONE;
    const inner = n && targets.length > 0 ? this.spanOf(n) : undefined;
    const span = inner && keywordSpan ? sharedSpan(keywordSpan.start, inner.end) : (inner ?? keywordSpan ?? this.fallback);
    return { kind: "TargetList", span, keywordSpan, targets };
  }

  expectStmt(n: CstNode): A.ExpectStmt {
    const kw = tok(n, "expectKeyword");
    const def = tok(n, "defaultKeyword");
    const verdict = tok(n, "verdict");
    if (verdict && verdict.image !== "allowed" && verdict.image !== "denied") {
      const s = closest(verdict.image, ["allowed", "denied"]);
      this.error(tokenSpan(verdict), `expected 'allowed' or 'denied' at the end of an expectation, not '${verdict.image}'${s ? ` (did you mean '${s}'?)` : ""}`);
    }
    let port: A.PortSpec | undefined;
    let icmp: A.IcmpClause | undefined;
    let http: A.HttpRule | undefined;
    let dns: A.StringLit | undefined;
    const direct = sub(n, "portSpec");
    if (direct) port = this.portSpec(direct);
    for (const d of nodes(n, "flowDetail")) {
      const p = sub(d, "portSpec");
      const i = sub(d, "icmpClause");
      const h = sub(d, "httpRule");
      const name = tok(d, "dnsName");
      const keyword = (tok(d, "KwPort") ?? tok(d, "KwHttp") ?? tok(d, "KwDns")) as IToken | undefined;
      const twice = (what: string, span: Span) => this.diagnostics.push(diag("duplicateClause", { file: this.file, span }, { clause: what }));
      if (p) {
        if (port) twice("port", keyword ? tokenSpan(keyword) : this.spanOf(d));
        else port = this.portSpec(p);
      } else if (i) {
        const c = this.icmpClauseOf(i);
        if (icmp || port) twice(port ? "port" : "icmp", c.keywordSpan);
        else icmp = c;
      } else if (h) {
        if (http) twice("http", keyword ? tokenSpan(keyword) : this.spanOf(d));
        else http = this.httpRuleOf(h);
      } else if (name) {
        if (dns) twice("dns", keyword ? tokenSpan(keyword) : this.spanOf(d));
        else dns = this.string(name);
      }
    }
    const all = tok(n, "all");
    return {
      kind: "Expect",
      span: this.spanOf(n),
      keywordSpan: kw ? tokenSpan(kw) : this.spanOf(n),
      defaultDeny: def ? { span: sharedSpan(tokenSpan(def).start, this.spanOf(n).end), allTenants: all !== undefined, tenant: ident(tok(n, "tenant")) } : undefined,
      source: sub(n, "source") ? this.flowEndpoint(sub(n, "source")!) : undefined,
      destination: sub(n, "destination") ? this.flowEndpoint(sub(n, "destination")!) : undefined,
      port,
      icmp,
      http,
      dns,
      verdict: verdict && (verdict.image === "allowed" || verdict.image === "denied") ? { value: verdict.image, span: tokenSpan(verdict) } : undefined,
    };
  }

  flowEndpoint(n: CstNode): A.FlowEndpoint {
    const span = this.spanOf(n);
    const sel = sub(n, "peerSelector");
    const base = { kind: "FlowEndpoint" as const, span };
    if (tok(n, "KwNamespace")) return { ...base, form: "namespace", namespace: ident(tok(n, "namespace")), selector: sel ? this.selector(sel) : undefined };
    if (tok(n, "KwEntity")) return { ...base, form: "entity", name: ident(tok(n, "entity")) };
    if (tok(n, "address")) return { ...base, form: "address", name: ident(tok(n, "address")) };
    if (tok(n, "host")) return { ...base, form: "host", name: ident(tok(n, "host")) };
    if (tok(n, "own")) return { ...base, form: "own", workload: ident(tok(n, "own")) };
    if (tok(n, "KwTenant")) return { ...base, form: "tenant", tenant: ident(tok(n, "tenant")), workload: ident(tok(n, "workload")) };
    return { ...base, form: "workload", tenant: ident(tok(n, "tenant")), workload: ident(tok(n, "workload")) };
  }

  clusterRef(n: CstNode | undefined): A.ClusterRef | undefined {
    if (!n) return undefined;
    return { span: this.spanOf(n), name: ident(tok(n, "cluster")), any: tok(n, "any") !== undefined };
  }

  target(n: CstNode): A.Target | undefined {
    const [key, node] = Object.entries(n.children as Children).find(([, v]) => v && v.length > 0) ?? [];
    if (key === "approved" && node?.[0] && isToken(node[0]) && real(node[0])) return { kind: "Approved", span: tokenSpan(node[0]) };
    if (!key || !node || !node[0] || isToken(node[0])) return undefined;
    const t = node[0];
    const span = this.spanOf(t);
    switch (key) {
      case "hostTarget": {
        const host = tok(t, "host");
        if (!host) return undefined;
        const p = sub(t, "portSpec");
        return { kind: "Host", span, name: ident(host)!, port: p ? this.portSpec(p) : undefined };
      }
      case "cidrTarget":
        return {
          kind: "Cidr",
          span,
          cidr: ident(tok(t, "cidr")),
          except: some(tokensOf(t, "except").map((e) => ident(e)!)),
        };
      case "entityTarget":
        return { kind: "Entity", span, name: ident(tok(t, "name")) };
      case "tenantTarget":
        return { kind: "TenantRef", span, tenant: ident(tok(t, "tenant")), workload: ident(tok(t, "workload")), cluster: this.clusterRef(sub(t, "clusterSuffix")) };
      case "namespaceTarget": {
        const sel = sub(t, "peerSelector");
        const where = sub(t, "namespaceSelector");
        return {
          kind: "NamespaceRef",
          span,
          namespace: ident(tok(t, "namespace")),
          where: where ? this.selector(where) : undefined,
          selector: sel ? this.selector(sel) : undefined,
          cluster: this.clusterRef(sub(t, "clusterSuffix")),
        };
      }
      case "cidrGroupTarget":
        return { kind: "CidrGroup", span, name: ident(tok(t, "name")) };
      case "nodesTarget": {
        const sel = sub(t, "peerSelector");
        return { kind: "Nodes", span, selector: sel ? this.selector(sel) : undefined };
      }
      case "serviceTarget":
        return { kind: "Service", span, namespace: ident(tok(t, "namespace")), name: ident(tok(t, "name")) };
      case "workloadTarget":
        return { kind: "WorkloadRef", span, name: ident(tok(t, "name")), cluster: this.clusterRef(sub(t, "clusterSuffix")) };
      case "withinTarget":
        return { kind: "Within", span };
      default:
        return undefined;
    }
  }

  portSpec(n: CstNode): A.PortSpec {
    const num = tok(n, "port");
    const named = tok(n, "named");
    const variable = tok(n, "variable");
    const end = tok(n, "end");
    let port: A.PortSpec["port"];
    if (num) port = portNumber(num);
    else if (named) port = { value: word(named.image), named: true, variable: false, span: tokenSpan(named) };
    else if (variable) port = { value: own(variable.image.slice(1)), named: false, variable: true, span: tokenSpan(variable) };
    return {
      kind: "Port",
      span: this.spanOf(n),
      port,
      end: end ? { value: Number(end.image), span: tokenSpan(end) } : undefined,
      protocol: ident(tok(n, "protocol")),
    };
  }

  httpClause(n: CstNode): A.HttpClause {
    const kw = tok(n, "KwHttp");
    return {
      kind: "HttpClause",
      span: this.spanOf(n),
      keywordSpan: kw ? tokenSpan(kw) : this.spanOf(n),
      rules: nodes(n, "httpRule").map((r) => this.httpRuleOf(r)),
    };
  }

  httpRuleOf(r: CstNode): A.HttpRule {
    return {
      kind: "HttpRule",
      span: this.spanOf(r),
      method: ident(tok(r, "method")),
      path: this.string(tok(r, "path")),
      host: this.string(tok(r, "host")),
      headers: some(tokensOf(r, "header").map((h) => this.string(h)!)),
    };
  }

  icmpClauseOf(n: CstNode): A.IcmpClause {
    const k = tok(n, "keyword");
    return {
      kind: "IcmpClause",
      span: this.spanOf(n),
      keywordSpan: k ? tokenSpan(k) : this.spanOf(n),
      family: k?.tokenType === T.Kw.icmpv6 ? "IPv6" : "IPv4",
      types: defined(nodes(n, "icmpType").map((t) => ident(tok(t, "type")))),
    };
  }
}
