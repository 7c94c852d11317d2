/**
 * The shape of a file for the editor: document symbols (the outline), folding ranges and semantic
 * tokens. Syntax only: these work on any .zt file, inside a project or not.
 */
import type { IToken } from "chevrotain";
import type { AstNode, BaselineItem, RuleStmt, RulesetItem, SourceFileAst, Span, TenantItem } from "../../language/index.js";
import { lexAll } from "../../language/parse.js";
import * as T from "../../language/tokens.js";
import type { ServiceDocument } from "./document.js";
import { walkFile } from "./navigation.js";

export type SymbolKind = "tenant" | "workload" | "rule" | "import" | "ruleset" | "parameter" | "baseline" | "use" | "expect" | "setting";

export interface OutlineSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly detail?: string | undefined;
  /** The whole declaration. */
  readonly span: Span;
  /** The part to select when the symbol is picked (its name, or the rule's action keyword). */
  readonly selection: Span;
  readonly children: readonly OutlineSymbol[];
}

function collapse(text: string, max = 80): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

function ruleSymbol(text: string, r: RuleStmt): OutlineSymbol {
  return { name: collapse(text.slice(r.span.start, r.span.end)), kind: "rule", span: r.span, selection: r.actionSpan, children: [] };
}

/** A statement's text on one line (the outline's name for statements that have no name of their own). */
function statement(text: string, span: Span, kind: SymbolKind): OutlineSymbol {
  return { name: collapse(text.slice(span.start, span.end)), kind, span, selection: span, children: [] };
}

/** A statement inside a tenant block, a baseline or a rule set. */
function member(text: string, m: TenantItem | BaselineItem | RulesetItem): OutlineSymbol {
  switch (m.kind) {
    case "Workload":
      return {
        name: m.name?.text ?? "(workload)",
        kind: "workload",
        detail: m.selector ? collapse(text.slice(m.selector.span.start, m.selector.span.end), 60) : undefined,
        span: m.span,
        selection: m.name?.span ?? m.span,
        children: [],
      };
    case "Rule":
      return ruleSymbol(text, m);
    case "Use":
      return { ...statement(text, m.span, "use"), selection: m.name?.span ?? m.keywordSpan };
    case "Expect":
      return { ...statement(text, m.span, "expect"), selection: m.keywordSpan };
    case "Mode":
    case "DnsMode":
    case "Visibility":
    case "DefaultDeny":
    case "Applies":
      return statement(text, m.span, "setting");
  }
}

/** Imports, tenants, rule sets and baselines with their statements, expectations, and stray statements. */
export function getDocumentSymbols(doc: ServiceDocument): OutlineSymbol[] {
  const { text, ast } = doc.unit;
  const out: OutlineSymbol[] = [];
  for (const item of ast.items) {
    switch (item.kind) {
      case "Tenant":
        out.push({
          name: `tenant ${item.name?.text ?? "?"}`,
          kind: "tenant",
          detail: item.block ? undefined : "one-line",
          span: item.span,
          selection: item.name?.span ?? item.keywordSpan,
          children: item.body.map((m) => member(text, m)),
        });
        break;
      case "Ruleset": {
        const params: OutlineSymbol[] = item.params.flatMap((p) =>
          p.name ? [{ name: p.name.text, kind: "parameter" as const, detail: collapse(text.slice(p.span.start, p.span.end), 60), span: p.span, selection: p.name.span, children: [] }] : [],
        );
        out.push({
          name: `ruleset ${item.name?.text ?? "?"}`,
          kind: "ruleset",
          detail: `${item.exported ? "exported, " : ""}${item.params.length} parameter${item.params.length === 1 ? "" : "s"}`,
          span: item.span,
          selection: item.name?.span ?? item.span,
          children: [...params, ...item.body.map((m) => member(text, m))],
        });
        break;
      }
      case "Baseline":
        out.push({
          name: `baseline ${item.name?.text ?? "?"}`,
          kind: "baseline",
          span: item.span,
          selection: item.name?.span ?? item.keywordSpan,
          children: item.body.map((m) => member(text, m)),
        });
        break;
      case "Import":
        out.push({ name: `import ${item.path?.value ?? ""}`, kind: "import", span: item.span, selection: item.span, children: [] });
        break;
      case "Expect":
      case "Rule":
      case "Workload":
        out.push(member(text, item));
        break;
    }
  }
  return out;
}

export interface FoldingRange {
  /** Zero-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly kind?: "comment" | undefined;
}

/** Tenant blocks, rules written over several lines, block comments and runs of line comments. */
export function getFoldingRanges(doc: ServiceDocument): FoldingRange[] {
  const { ast, lines } = doc.unit;
  const line = (o: number) => lines.positionAt(o).line;
  const out: FoldingRange[] = [];
  const add = (start: number, end: number, kind?: "comment") => {
    if (end > start) out.push(kind ? { startLine: start, endLine: end, kind } : { startLine: start, endLine: end });
  };
  walkFile(ast, (n: AstNode) => {
    if ((n.kind === "Tenant" || n.kind === "Ruleset" || n.kind === "Baseline") && n.openBrace) {
      // Keep the closing brace visible: fold up to the line before it.
      const close = n.closeBrace ? line(n.closeBrace.start) - 1 : line(n.span.end);
      add(line(n.openBrace.start), close);
    } else if (n.kind === "Rule" || n.kind === "Use" || n.kind === "Expect") add(line(n.span.start), line(n.span.end));
  });
  let run: { start: number; end: number } | undefined;
  const flush = () => {
    if (run) add(run.start, run.end, "comment");
    run = undefined;
  };
  for (const c of ast.comments) {
    const s = line(c.span.start);
    const e = line(c.span.end);
    if (c.block) {
      flush();
      add(s, e, "comment");
    } else if (run && s === run.end + 1) run.end = s;
    else {
      flush();
      run = { start: s, end: s };
    }
  }
  flush();
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

export type TokenKind =
  | "keyword"
  | "tenant"
  | "workload"
  | "namespace"
  | "entity"
  | "host"
  | "address"
  | "number"
  | "string"
  | "comment"
  | "operator"
  | "method"
  | "label"
  | "parameter"
  | "ruleset"
  | "baseline"
  | "module"
  | "type"
  | "value";

export interface SemanticToken {
  readonly span: Span;
  readonly kind: TokenKind;
  readonly declaration: boolean;
}

const OPERATORS = new Set<unknown>([T.Equals, T.DoubleEquals, T.NotEquals, T.Bang, T.Arrow, T.Colon, T.Slash, T.Dash]);

/** Names by what they mean (a keyword used as a tenant name is a tenant), the rest by token type. */
function namedSpans(ast: SourceFileAst): Map<number, { kind: TokenKind; declaration: boolean; end: number }> {
  const m = new Map<number, { kind: TokenKind; declaration: boolean; end: number }>();
  const put = (s: Span | undefined, kind: TokenKind, declaration = false) => {
    if (s) m.set(s.start, { kind, declaration, end: s.end });
  };
  walkFile(ast, (n) => {
    switch (n.kind) {
      case "Tenant":
        put(n.name?.span, "tenant", true);
        break;
      case "Import":
        put(n.path?.span, "module");
        break;
      case "Ruleset":
        put(n.name?.span, "ruleset", true);
        break;
      case "Param":
        put(n.name?.span, "parameter", true);
        put(n.type?.span, "type");
        break;
      case "Use":
        put(n.name?.span, "ruleset");
        for (const a of n.args) put(a.name?.span, "parameter");
        break;
      case "Baseline":
        put(n.name?.span, "baseline", true);
        break;
      case "Applies":
        for (const t of n.tenants) put(t.span, "tenant");
        for (const ns of n.namespaces) put(ns.span, "namespace");
        break;
      case "Mode":
      case "DnsMode":
        put(n.value?.span, "value");
        break;
      case "Expect":
        // The verdict is a word that is a keyword only here.
        put(n.verdict?.span, "keyword");
        put(n.defaultDeny?.tenant?.span, "tenant");
        break;
      case "FlowEndpoint":
        put(n.tenant?.span, "tenant");
        put(n.workload?.span, "workload");
        put(n.namespace?.span, "namespace");
        if (n.form === "entity") put(n.name?.span, "entity");
        break;
      case "Workload":
        put(n.name?.span, "workload", true);
        put(n.namespace?.span, "namespace");
        break;
      case "TenantRef":
        put(n.tenant?.span, "tenant");
        put(n.workload?.span, "workload");
        break;
      case "NamespaceRef":
      case "Service":
        put(n.namespace?.span, "namespace");
        break;
      case "WorkloadRef":
        put(n.name?.span, "workload");
        break;
      case "Entity":
        put(n.name?.span, "entity");
        break;
      case "HttpRule":
        put(n.method?.span, "method");
        break;
      case "SelectorTerm":
        put(n.key?.span, "label");
        break;
      default:
        break;
    }
  });
  return m;
}

function byTokenType(t: IToken): TokenKind | undefined {
  const type = t.tokenType;
  if (type === T.LineComment || type === T.BlockComment || type === T.UnterminatedBlockComment) return "comment";
  if (type === T.StringLit || type === T.UnterminatedString) return "string";
  if (type === T.NumberLit) return "number";
  if (type === T.Host || type === T.Wildcard) return "host";
  if (type === T.Address) return "address";
  if (type === T.Variable) return "parameter";
  if (type.name.startsWith("Kw")) return "keyword";
  if (OPERATORS.has(type)) return "operator";
  return undefined;
}

/** Every classified token of a file, in order. */
export function getSemanticTokens(doc: ServiceDocument): SemanticToken[] {
  const { text, ast } = doc.unit;
  const named = namedSpans(ast);
  const out: SemanticToken[] = [];
  let until = -1;
  let current: { kind: TokenKind; declaration: boolean } | undefined;
  for (const t of lexAll(text).tokens) {
    const span = { start: t.startOffset, end: t.startOffset + t.image.length };
    const n = named.get(span.start);
    if (n) {
      // A label key like app.kubernetes.io/name spans several tokens.
      until = n.end;
      current = n;
    }
    if (current && span.start < until) {
      out.push({ span, kind: span.end <= until && !OPERATORS.has(t.tokenType) ? current.kind : "operator", declaration: current.declaration });
      continue;
    }
    const kind = byTokenType(t);
    if (kind) out.push({ span, kind, declaration: false });
  }
  return out;
}
