/**
 * The shape of a file for the editor: document symbols (the outline), folding ranges and semantic
 * tokens. Syntax only: these work on any .zt file, inside a project or not.
 */
import type { IToken } from "chevrotain";
import type { RuleStmt, SourceFileAst, Span } from "../../language/index.js";
import { lexAll } from "../../language/parse.js";
import * as T from "../../language/tokens.js";
import type { ServiceDocument } from "./document.js";
import { walkFile } from "./navigation.js";

export type SymbolKind = "tenant" | "workload" | "rule" | "import";

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

/** Tenants with their workloads and rules, imports, and stray statements outside tenants. */
export function getDocumentSymbols(doc: ServiceDocument): OutlineSymbol[] {
  const { text, ast } = doc.unit;
  const out: OutlineSymbol[] = [];
  for (const item of ast.items) {
    switch (item.kind) {
      case "Tenant": {
        const children: OutlineSymbol[] = item.body.map((m) =>
          m.kind === "Workload"
            ? {
                name: m.name?.text ?? "(workload)",
                kind: "workload" as const,
                detail: m.selector ? collapse(text.slice(m.selector.span.start, m.selector.span.end), 60) : undefined,
                span: m.span,
                selection: m.name?.span ?? m.span,
                children: [],
              }
            : m.kind === "Rule"
              ? ruleSymbol(text, m)
              : { name: collapse(text.slice(m.span.start, m.span.end)), kind: "rule" as const, span: m.span, selection: m.span, children: [] },
        );
        out.push({
          name: `tenant ${item.name?.text ?? "?"}`,
          kind: "tenant",
          detail: item.block ? undefined : "one-line",
          span: item.span,
          selection: item.name?.span ?? item.keywordSpan,
          children,
        });
        break;
      }
      case "Import":
        out.push({ name: `import ${item.path?.value ?? ""}`, kind: "import", span: item.span, selection: item.span, children: [] });
        break;
      case "Rule":
        out.push(ruleSymbol(text, item));
        break;
      case "Workload":
        out.push({ name: item.name?.text ?? "(workload)", kind: "workload", span: item.span, selection: item.name?.span ?? item.span, children: [] });
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
  walkFile(ast, (n) => {
    if (n.kind === "Tenant" && n.openBrace) {
      // Keep the closing brace visible: fold up to the line before it.
      const close = n.closeBrace ? line(n.closeBrace.start) - 1 : line(n.span.end);
      add(line(n.openBrace.start), close);
    } else if (n.kind === "Rule") add(line(n.span.start), line(n.span.end));
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
  | "parameter";

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
