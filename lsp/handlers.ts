/**
 * One short function per request: find the document, call the compiler's service, convert the
 * answer. No analysis happens here.
 */
import {
  MarkupKind,
  type CodeAction,
  type CodeLens,
  type CodeLensParams,
  type Position,
  type CodeActionParams,
  type CompletionList,
  type CompletionParams,
  type DefinitionParams,
  type DocumentFormattingParams,
  type DocumentHighlight,
  type DocumentHighlightParams,
  type DocumentOnTypeFormattingParams,
  type DocumentSymbol,
  type DocumentSymbolParams,
  type FoldingRange,
  type FoldingRangeParams,
  type Hover,
  type HoverParams,
  type Location,
  type PrepareRenameParams,
  type Range,
  type ReferenceParams,
  type RenameParams,
  type SemanticTokens,
  type SemanticTokensParams,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import * as S from "../compiler/services/index.js";
import { LineIndex, type Diagnostic } from "../language/index.js";
import {
  EXPLAIN_COMMAND,
  encodeSemanticTokens,
  toCodeAction,
  toCompletionItem,
  toDocumentSymbol,
  toFoldingRange,
  toLocation,
  toLspDiagnostic,
  toOffset,
  toRange,
  toSpan,
  toTextEdits,
  toWorkspaceEdit,
} from "./convert.js";
import type { DocumentView } from "./session.js";

/** Thrown to answer a request with an error the client shows (e.g. why a rename is refused). */
export class UserError extends Error {}

/** Which files the services accept: .zt sources; other documents get no answers. */
export function isZt(path: string): boolean {
  return path.toLowerCase().endsWith(".zt");
}

export function hover(v: DocumentView, p: HoverParams): Hover | null {
  const h = S.getHover(v.doc, toOffset(v.lines, p.position));
  return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: toRange(v.lines, h.span) } : null;
}

export function completion(v: DocumentView, p: CompletionParams, snippets: boolean): CompletionList | null {
  const c = S.getCompletions(v.doc, toOffset(v.lines, p.position));
  if (!c) return null;
  const range = toRange(v.lines, c.replace);
  return { isIncomplete: false, items: c.items.map((e) => toCompletionItem(e, range, v.lines, snippets)) };
}

export function definition(v: DocumentView, p: DefinitionParams): Location[] {
  return S.getDefinition(v.doc, toOffset(v.lines, p.position)).flatMap((l) => toLocation(l, v.files) ?? []);
}

export function references(v: DocumentView, p: ReferenceParams): Location[] {
  const include = p.context?.includeDeclaration !== false;
  return S.getReferences(v.doc, toOffset(v.lines, p.position), include).flatMap((l) => toLocation(l, v.files) ?? []);
}

export function highlights(v: DocumentView, p: DocumentHighlightParams): DocumentHighlight[] {
  return S.getHighlights(v.doc, toOffset(v.lines, p.position)).map((s) => ({ range: toRange(v.lines, s) }));
}

export function prepareRename(v: DocumentView, p: PrepareRenameParams): { range: Range; placeholder: string } | null {
  const r = S.prepareRename(v.doc, toOffset(v.lines, p.position));
  if ("error" in r) throw new UserError(r.error);
  return { range: toRange(v.lines, r.span), placeholder: r.placeholder };
}

export function rename(v: DocumentView, p: RenameParams): WorkspaceEdit | null {
  const r = S.getRenameEdits(v.doc, toOffset(v.lines, p.position), String(p.newName ?? ""));
  if ("error" in r) throw new UserError(r.error);
  return toWorkspaceEdit(r.edits, v.files);
}

export function documentSymbols(v: DocumentView, _p: DocumentSymbolParams): DocumentSymbol[] {
  return S.getDocumentSymbols(v.doc).map((s) => toDocumentSymbol(s, v.lines));
}

export function foldingRanges(v: DocumentView, _p: FoldingRangeParams): FoldingRange[] {
  return S.getFoldingRanges(v.doc).map(toFoldingRange);
}

export function semanticTokens(v: DocumentView, _p: SemanticTokensParams): SemanticTokens {
  return { data: encodeSemanticTokens(S.getSemanticTokens(v.doc), v.lines) };
}

/** The document as written, for the services that rewrite its text: the compiler's copy may carry slack (lsp/slack.ts). */
function written(v: DocumentView): { doc: S.FormattedDocument; lines: LineIndex } {
  if (v.doc.unit.text === v.text) return { doc: v.doc, lines: v.lines };
  const lines = new LineIndex(v.text);
  return { doc: { unit: { path: v.doc.unit.path, text: v.text, lines } }, lines };
}

export function formatting(v: DocumentView, _p: DocumentFormattingParams): TextEdit[] {
  const w = written(v);
  const r = S.formatDocument(w.doc);
  // Like `ztc fmt`, a file with syntax errors is left alone; the diagnostics already say why.
  return "edits" in r ? toTextEdits(r.edits, w.lines) : [];
}

export function onTypeFormatting(v: DocumentView, p: DocumentOnTypeFormattingParams): TextEdit[] {
  const w = written(v);
  return toTextEdits(S.onTypeFormat(w.doc, toOffset(w.lines, p.position), String(p.ch ?? "")), w.lines);
}

export function codeActions(v: DocumentView, p: CodeActionParams, toLsp: (d: Diagnostic) => ReturnType<typeof toLspDiagnostic>): CodeAction[] {
  const only = p.context?.only;
  const actions = S.getCodeActions(v.doc, toSpan(v.lines, p.range)).map((a) => toCodeAction(a, v.files, toLsp));
  return only && only.length > 0 ? actions.filter((a) => only.some((k) => a.kind === k || a.kind?.startsWith(`${k}.`))) : actions;
}

export function codeLenses(v: DocumentView, p: CodeLensParams): CodeLens[] {
  return S.getCodeLenses(v.doc).map((l) => ({
    range: toRange(v.lines, l.span),
    // A lens without a command is only text (not evaluated); the others explain the flow when clicked.
    command:
      l.explainAt === undefined
        ? { title: l.title, command: "" }
        : { title: l.title, command: EXPLAIN_COMMAND, arguments: [{ uri: p.textDocument.uri, position: v.lines.positionAt(l.explainAt) }] },
  }));
}

/** What `ztc/explain` and the `ztc.explain` command answer: the explanation, its rules located in the workspace. */
export type ExplainResponse =
  | (Omit<Extract<S.ExplainAnswer, { ok: true }>, "rules"> & {
      /** Each with its project-relative `file` (as the text names it) and its location in the workspace. */
      readonly rules: readonly (Omit<S.DecidingRule, "location"> & { readonly file?: string | undefined; readonly location?: Location | undefined })[];
    })
  | Extract<S.ExplainAnswer, { ok: false }>;

export function explain(v: DocumentView, p: { flow?: unknown; position?: Position | undefined }): ExplainResponse {
  const flow = typeof p.flow === "string" ? p.flow : undefined;
  const offset = p.position ? toOffset(v.lines, p.position) : undefined;
  const a = S.explainAt(v.doc, { flow, offset });
  if (!a.ok) return a;
  return { ...a, rules: a.rules.map((r) => ({ ...r, file: r.location?.file, location: r.location ? toLocation(r.location, v.files) : undefined })) };
}
