/**
 * parse(text) -> AST + syntax diagnostics. Never throws on user input: oversized, binary and
 * garbage files come back as a (possibly empty) tree with diagnostics.
 */
import { EOF, type IRecognitionException, type IToken } from "chevrotain";
import type { Comment, Item, SourceFileAst } from "./ast.js";
import { diag, type Diagnostic } from "./diagnostics.js";
import { ztParser } from "./parser.js";
import { startsLine, type Span } from "./source.js";
import { closest } from "./suggest.js";
import { AstBuilder, tokenSpan } from "./to-ast.js";
import * as T from "./tokens.js";

/** Source files above this size are refused (ZT1006). */
export const MAX_SOURCE_CHARS = 4 * 1024 * 1024;
/** Syntax errors listed per file before ZT1007 summarises the rest. */
export const MAX_SYNTAX_ERRORS = 100;

export interface ParseResult {
  readonly ast: SourceFileAst;
  readonly diagnostics: readonly Diagnostic[];
}

function emptyFile(text: string): SourceFileAst {
  return { kind: "File", span: { start: 0, end: text.length }, items: [], comments: [] };
}

function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** Every token of a text, comments included, in source order (for the formatter and highlighting). */
export function lexAll(text: string): { tokens: IToken[]; errors: number } {
  const lexed = T.ztLexer.tokenize(text);
  const tokens = [...lexed.tokens, ...(lexed.groups["comments"] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return { tokens, errors: lexed.errors.length };
}

/**
 * Lexes `text[from, to)` with offsets into the whole text: the parser's tokens, the comments, and
 * the lexical diagnostics (invalid characters, unterminated comments and strings), in that order.
 */
export function lexSource(text: string, file: string, from = 0, to = text.length): { tokens: IToken[]; comments: Comment[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const lexed = from === 0 && to === text.length ? T.ztLexer.tokenize(text) : T.ztLexer.tokenize(text.slice(from, to), startsLine(text, from));
  if (from !== 0)
    for (const t of [...lexed.tokens, ...(lexed.groups["comments"] ?? [])]) t.startOffset += from;
  for (const e of lexed.errors) {
    const start = e.offset + from;
    const end = Math.min(text.length, start + Math.max(1, e.length));
    diagnostics.push(diag("invalidCharacter", { file, span: { start, end } }, { text: text.slice(start, Math.min(end, start + 20)) }));
  }
  const comments: Comment[] = [];
  for (const c of lexed.groups["comments"] ?? []) {
    const span = tokenSpan(c);
    if (c.tokenType === T.UnterminatedBlockComment) diagnostics.push(diag("unterminatedComment", { file, span: { start: span.start, end: span.start + 2 } }, {}));
    comments.push({ text: c.image, span, block: c.tokenType !== T.LineComment });
  }
  for (const t of lexed.tokens) {
    // Offset-only lexing records no end; with it, the parser tracks where every CST node ends.
    t.endOffset = t.startOffset + t.image.length - 1;
    if (t.tokenType === T.UnterminatedString) diagnostics.push(diag("unterminatedString", { file, span: tokenSpan(t) }, {}));
  }
  return { tokens: lexed.tokens, comments, diagnostics };
}

/** A parser error as a ZT1001 diagnostic, at the token it found or where the missing thing belongs. */
export function syntaxDiagnostic(e: IRecognitionException, text: string, file: string): Diagnostic {
  const t: IToken = e.token;
  let span: Span;
  if (t.tokenType === EOF || !Number.isFinite(t.startOffset)) {
    // Point just after the last real token, where the missing thing belongs.
    const prev = (e as { previousToken?: IToken }).previousToken;
    const at = (prev && Number.isFinite(prev.startOffset) ? prev.startOffset + prev.image.length : text.length) | 0;
    span = { start: at, end: at };
  } else {
    span = tokenSpan(t);
    // Something missing at the end of a line is reported there, not on the next line.
    const prev = (e as { previousToken?: IToken }).previousToken;
    if (prev && Number.isFinite(prev.startOffset) && e.name !== "NotAllInputParsedException") {
      const prevEnd = (prev.startOffset + prev.image.length) | 0;
      if (prevEnd <= t.startOffset && /[\r\n]/.test(text.slice(prevEnd, t.startOffset))) span = { start: prevEnd, end: prevEnd };
    }
  }
  // A misspelled keyword (the message says which): offer the keyword as the fix.
  const keyword = t.tokenType === T.Ident && span.start === t.startOffset ? closest(t.image, T.KEYWORDS) : undefined;
  const fixes = keyword ? [{ title: `Replace with '${keyword}'`, edits: [{ file, span, newText: keyword }] }] : undefined;
  return diag("syntaxError", { file, span }, { message: e.message }, { fixes });
}

/** Parses one .zt file. `file` is only used to label diagnostics. */
export function parse(text: string, file = ""): ParseResult {
  if (text.length > MAX_SOURCE_CHARS) {
    return {
      ast: emptyFile(text),
      diagnostics: [
        diag("fileTooLarge", { file, span: { start: 0, end: 0 } }, { size: formatSize(text.length), limit: formatSize(MAX_SOURCE_CHARS) }),
      ],
    };
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    return {
      ast: emptyFile(text),
      diagnostics: [diag("binaryFile", { file, span: { start: nul, end: nul + 1 } }, { reason: `NUL byte at offset ${nul}` })],
    };
  }

  const { tokens, comments, diagnostics } = lexSource(text, file);
  const eofSpan: Span = { start: text.length, end: text.length };
  const builder = new AstBuilder(file, eofSpan);
  const items: Item[] = [];
  const syntax: Diagnostic[] = [];
  let from = 0;
  // Parse, and if a stray token stops the top-level loop, report it and resume at the next
  // statement that can start a file item, so one bad line never hides the rest of the file.
  while (from < tokens.length) {
    ztParser.input = from === 0 ? tokens : tokens.slice(from);
    const cst = ztParser.file();
    for (const e of ztParser.errors) syntax.push(syntaxDiagnostic(e, text, file));
    items.push(...builder.fileItems((cst.children["item"] ?? []) as never));
    // Recovery can restart at a keyword in the middle of a broken line (`... from tenant x`)
    // and build a bogus statement from it. After a syntax error, keep only items that start a line.
    if (ztParser.errors.length > 0) {
      const firstError = Math.min(...ztParser.errors.map((e) => (Number.isFinite(e.token.startOffset) ? e.token.startOffset : text.length)));
      for (let i = items.length - 1; i >= 0; i--) {
        const start = items[i]!.span.start;
        if (start > firstError && !startsLine(text, start)) items.splice(i, 1);
      }
    }
    const leftover = ztParser.errors.find((e) => e.name === "NotAllInputParsedException");
    if (!leftover) break;
    const index = tokens.indexOf(leftover.token, from);
    if (index < 0) break;
    let next = index + 1;
    while (next < tokens.length && !T.isKeyword(tokens[next], "tenant") && !T.isKeyword(tokens[next], "import")) next++;
    from = next;
  }

  // One syntax error per position: recovery can report the same spot more than once.
  const seen = new Set<number>();
  const unique = syntax.filter((d) => (seen.has(d.span.start) ? false : (seen.add(d.span.start), true)));
  diagnostics.push(...unique, ...builder.diagnostics);
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  let limited = diagnostics;
  if (diagnostics.length > MAX_SYNTAX_ERRORS) {
    limited = diagnostics.slice(0, MAX_SYNTAX_ERRORS);
    const last = limited[limited.length - 1]!;
    limited.push(diag("tooManyErrors", { file, span: last.span }, { count: diagnostics.length - MAX_SYNTAX_ERRORS }));
  }
  return {
    ast: { kind: "File", span: { start: 0, end: text.length }, items, comments },
    diagnostics: limited,
  };
}
