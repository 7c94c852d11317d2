/**
 * The only place that maps between the compiler's shapes (project-relative paths, UTF-16 offsets,
 * spans) and the protocol's (URIs, line/character positions). Every conversion goes through the
 * compiler's LineIndex, the one offset converter of the project.
 */
import * as nodePath from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  DiagnosticTag,
  FoldingRangeKind,
  InsertTextFormat,
  MarkupKind,
  SymbolKind,
  type CodeAction,
  type CompletionItem,
  type Diagnostic as LspDiagnostic,
  type DocumentSymbol,
  type FoldingRange as LspFoldingRange,
  type Location as LspLocation,
  type Position,
  type Range,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import type { Diagnostic, LineIndex, Location, Span, TextEdit } from "../language/index.js";
import {
  diagnosticHref,
  type CodeActionEntry,
  type CompletionEntry,
  type FoldingRange,
  type OutlineSymbol,
  type SemanticToken,
  type TokenKind,
} from "../compiler/services/index.js";

/** How the server names files: an absolute path on disk, or a URI it cannot map (untitled:). */
export function uriToPath(uri: string): string | undefined {
  if (typeof uri !== "string" || !uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathToUri(abs: string): string {
  return pathToFileURL(abs).href;
}

/** The URI of a project-relative path. */
export function projectUri(root: string, rel: string): string {
  return pathToUri(nodePath.join(root, ...rel.split("/")));
}

export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.positionAt(span.start), end: lines.positionAt(span.end) };
}

/** An offset for a client position; positions outside the document are clamped to it. */
export function toOffset(lines: LineIndex, pos: Position): number {
  const line = Number.isFinite(pos?.line) ? Math.trunc(pos.line) : 0;
  const character = Number.isFinite(pos?.character) ? Math.trunc(pos.character) : 0;
  return lines.offsetAt({ line, character });
}

export function toSpan(lines: LineIndex, range: Range): Span {
  const a = toOffset(lines, range.start);
  const b = toOffset(lines, range.end);
  return { start: Math.min(a, b), end: Math.max(a, b) };
}

/** Resolves a project-relative path to its URI and line index. */
export interface FileResolver {
  uri(file: string): string;
  lines(file: string): LineIndex | undefined;
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;
/** Duplicate and redundant rules do nothing: editors may fade them. */
const UNNECESSARY = new Set(["ZT3009", "ZT3011"]);

export function toLspDiagnostic(d: Diagnostic, lines: LineIndex, files: FileResolver, docsUrl: string | undefined): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(lines, d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "ztc",
    message: d.message,
  };
  const href = docsUrl ? diagnosticHref(d.code, docsUrl) : undefined;
  if (href) out.codeDescription = { href };
  if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
  const related = (d.related ?? []).flatMap((r) => {
    const li = files.lines(r.file);
    return li ? [{ location: { uri: files.uri(r.file), range: toRange(li, r.span) }, message: r.message }] : [];
  });
  if (related.length > 0) out.relatedInformation = related;
  if (d.help) out.data = { help: d.help };
  return out;
}

export function toLocation(loc: Location, files: FileResolver): LspLocation | undefined {
  const li = files.lines(loc.file);
  return li ? { uri: files.uri(loc.file), range: toRange(li, loc.span) } : undefined;
}

export function toWorkspaceEdit(edits: readonly TextEdit[], files: FileResolver): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const e of edits) {
    const li = files.lines(e.file);
    if (!li) continue;
    (changes[files.uri(e.file)] ??= []).push({ range: toRange(li, e.span), newText: e.newText });
  }
  return { changes };
}

export function toTextEdits(edits: readonly TextEdit[], lines: LineIndex): LspTextEdit[] {
  return edits.map((e) => ({ range: toRange(lines, e.span), newText: e.newText }));
}

/** The action kind editors filter on; "request approval" gets its own sub-kind so a command can ask for it. */
export const REQUEST_APPROVAL_KIND = `${CodeActionKind.QuickFix}.ztc.requestApproval`;
/** Server command that shows a location (the drafted approval) with window/showDocument. */
export const SHOW_LOCATION_COMMAND = "ztc.server.showLocation";
/** `ztc explain` as a command: arguments `[{ uri, flow?, position? }]`, answers like the `ztc/explain` request. */
export const EXPLAIN_COMMAND = "ztc.explain";

export function toCodeAction(a: CodeActionEntry, files: FileResolver, files2lsp: (d: Diagnostic) => LspDiagnostic): CodeAction {
  const action: CodeAction = {
    title: a.title,
    kind: a.requestApproval ? REQUEST_APPROVAL_KIND : a.kind === "quickfix" ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
    edit: toWorkspaceEdit(a.edits, files),
  };
  if (a.diagnostics.length > 0) action.diagnostics = a.diagnostics.map(files2lsp);
  if (a.preferred) action.isPreferred = true;
  if (a.reveal) {
    // The reveal span is where the text will be once the edit is applied: positions are computed
    // on the file as it is now, which is right for the start of an insertion.
    const li = files.lines(a.reveal.file);
    if (li) {
      const start = li.positionAt(a.reveal.span.start);
      action.command = { title: "Show the drafted approval", command: SHOW_LOCATION_COMMAND, arguments: [files.uri(a.reveal.file), { start, end: start }] };
    }
  }
  return action;
}

const COMPLETION_KIND: Record<CompletionEntry["kind"], CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  tenant: CompletionItemKind.Module,
  namespace: CompletionItemKind.Folder,
  workload: CompletionItemKind.Variable,
  entity: CompletionItemKind.EnumMember,
  method: CompletionItemKind.Method,
  destination: CompletionItemKind.Value,
  port: CompletionItemKind.Unit,
  protocol: CompletionItemKind.EnumMember,
  module: CompletionItemKind.Module,
  ruleset: CompletionItemKind.Function,
  parameter: CompletionItemKind.Property,
  value: CompletionItemKind.EnumMember,
};

/** A snippet as plain text, for clients without snippet support: each placeholder's default. */
export function snippetAsText(snippet: string): string {
  return snippet.replace(/\$\{\d+:((?:[^}\\]|\\.)*)\}|\$\d+|\\([$}\\])/g, (_m, def: string | undefined, esc: string | undefined) =>
    esc ?? (def ?? "").replace(/\\([$}\\])/g, "$1"),
  );
}

export function toCompletionItem(e: CompletionEntry, replace: Range, lines: LineIndex, snippets: boolean): CompletionItem {
  const text = e.insertText ?? e.label;
  const snippet = e.snippet === true && snippets;
  const item: CompletionItem = {
    label: e.label,
    kind: COMPLETION_KIND[e.kind],
    textEdit: { range: replace, newText: e.snippet && !snippets ? snippetAsText(text) : text },
    insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  };
  if (e.additionalEdits && e.additionalEdits.length > 0) item.additionalTextEdits = toTextEdits(e.additionalEdits, lines);
  if (e.detail) item.detail = e.detail;
  if (e.documentation) item.documentation = { kind: MarkupKind.Markdown, value: e.documentation };
  if (e.sortText) item.sortText = e.sortText;
  if (e.insertText && e.insertText !== e.label) item.filterText = e.label;
  return item;
}

const SYMBOL_KIND: Record<OutlineSymbol["kind"], SymbolKind> = {
  tenant: SymbolKind.Namespace,
  workload: SymbolKind.Variable,
  rule: SymbolKind.Event,
  import: SymbolKind.File,
  ruleset: SymbolKind.Function,
  parameter: SymbolKind.TypeParameter,
  baseline: SymbolKind.Class,
  use: SymbolKind.Method,
  expect: SymbolKind.Boolean,
  setting: SymbolKind.Property,
};

export function toDocumentSymbol(s: OutlineSymbol, lines: LineIndex): DocumentSymbol {
  const sym: DocumentSymbol = {
    name: s.name || "?",
    kind: SYMBOL_KIND[s.kind],
    range: toRange(lines, s.span),
    selectionRange: toRange(lines, s.selection),
    children: s.children.map((c) => toDocumentSymbol(c, lines)),
  };
  if (s.detail) sym.detail = s.detail;
  return sym;
}

export function toFoldingRange(f: FoldingRange): LspFoldingRange {
  return f.kind ? { startLine: f.startLine, endLine: f.endLine, kind: FoldingRangeKind.Comment } : { startLine: f.startLine, endLine: f.endLine };
}

/** The semantic token legend: the service's kinds mapped onto standard LSP token types. */
export const TOKEN_TYPES = ["keyword", "class", "variable", "namespace", "enumMember", "string", "number", "comment", "operator", "method", "property", "parameter", "function", "type"] as const;
export const TOKEN_MODIFIERS = ["declaration"] as const;
const TOKEN_TYPE_INDEX: Record<TokenKind, number> = {
  keyword: 0,
  tenant: 1,
  workload: 2,
  namespace: 3,
  entity: 4,
  host: 5,
  string: 5,
  address: 6,
  number: 6,
  comment: 7,
  operator: 8,
  method: 9,
  label: 10,
  parameter: 11,
  ruleset: 12,
  baseline: 1,
  module: 3,
  type: 13,
  value: 4,
};

/** LSP's relative encoding; tokens spanning lines (block comments) are split per line. */
export function encodeSemanticTokens(tokens: readonly SemanticToken[], lines: LineIndex): number[] {
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  const push = (line: number, char: number, length: number, type: number, mods: number) => {
    if (length <= 0) return;
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, length, type, mods);
    prevLine = line;
    prevChar = char;
  };
  for (const t of tokens) {
    const type = TOKEN_TYPE_INDEX[t.kind];
    const mods = t.declaration ? 1 : 0;
    const s = lines.positionAt(t.span.start);
    const e = lines.positionAt(t.span.end);
    if (s.line === e.line) push(s.line, s.character, e.character - s.character, type, mods);
    else
      for (let l = s.line; l <= e.line; l++) {
        const from = l === s.line ? s.character : 0;
        const to = l === e.line ? e.character : lines.line(l).length;
        push(l, from, to - from, type, mods);
      }
  }
  return data;
}
