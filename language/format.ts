/**
 * The canonical formatter behind `ztc fmt` and the editor's "Format Document". It re-emits the
 * tokens of a file with canonical spacing, one statement per line, two-space indentation inside
 * tenant blocks and at most one blank line in a row. It never reorders or drops anything: every
 * comment stays, on its line or on its own line, and the parse tree is unchanged (tested).
 */
import type { IToken } from "chevrotain";
import type { SourceFileAst } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { lexAll, parse } from "./parse.js";
import * as T from "./tokens.js";

export type FormatResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

const INDENT = "  ";
const NO_SPACE_BEFORE = new Set<unknown>([T.Comma, T.Colon, T.RParen, T.Slash, T.Dash]);
const NO_SPACE_AFTER = new Set<unknown>([T.LParen, T.Colon, T.Slash, T.Dash, T.Bang]);
const SELECTOR_OPS = new Set<unknown>([T.Equals, T.DoubleEquals, T.NotEquals]);

function isComment(t: IToken): boolean {
  return t.tokenType === T.LineComment || t.tokenType === T.BlockComment || t.tokenType === T.UnterminatedBlockComment;
}

/** Line breaks between two offsets of the original text. */
function newlinesBetween(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

interface Layout {
  /** Offsets where a statement (or a closing brace) starts: these begin a new line. */
  readonly lineStarts: Set<number>;
  /** Offsets of block braces. */
  readonly opens: Set<number>;
  readonly closes: Set<number>;
  /** `=` tokens that separate a workload name from its selector (written " = "). */
  readonly spacedEquals: Set<number>;
  /** Spans of single statements: a comment inside one is a continuation of it. */
  readonly statements: { start: number; end: number }[];
}

function layout(ast: SourceFileAst, tokens: readonly IToken[]): Layout {
  const l: Layout = { lineStarts: new Set(), opens: new Set(), closes: new Set(), spacedEquals: new Set(), statements: [] };
  const statement = (s: { span: { start: number; end: number } }, name?: { span: { end: number } }) => {
    l.lineStarts.add(s.span.start);
    l.statements.push(s.span);
    if (name) {
      const eq = tokens.find((t) => t.startOffset >= name.span.end && t.tokenType === T.Equals);
      if (eq && eq.startOffset < s.span.end) l.spacedEquals.add(eq.startOffset);
    }
  };
  for (const item of ast.items) {
    if (item.kind !== "Tenant" || !item.block) {
      statement(item, item.kind === "Workload" ? item.name : undefined);
      continue;
    }
    l.lineStarts.add(item.span.start);
    if (item.openBrace) l.opens.add(item.openBrace.start);
    if (item.closeBrace) {
      l.closes.add(item.closeBrace.start);
      l.lineStarts.add(item.closeBrace.start);
    }
    for (const member of item.body) statement(member, member.kind === "Workload" ? member.name : undefined);
  }
  return l;
}

/** Formats one file; refuses (with the syntax errors) when the file does not parse cleanly. */
export function format(text: string, file = ""): FormatResult {
  const parsed = parse(text, file);
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics: parsed.diagnostics };
  const { tokens } = lexAll(text);
  const l = layout(parsed.ast, tokens);
  const inside = (offset: number) => l.statements.some((s) => offset > s.start && offset < s.end);

  const lines: string[] = [];
  let cur = "";
  let curHas = false;
  let afterOpen = false;
  let depth = 0;
  const flush = () => {
    if (curHas) lines.push(cur.replace(/[ \t]+$/, ""));
    cur = "";
    curHas = false;
  };
  const begin = (level: number, blank: boolean, image: string) => {
    flush();
    if (blank && !afterOpen && lines.length > 0 && lines[lines.length - 1] !== "") lines.push("");
    cur = INDENT.repeat(Math.max(0, level)) + image;
    curHas = true;
    afterOpen = false;
  };

  let prev: IToken | undefined;
  for (const t of tokens) {
    const gap = prev ? newlinesBetween(text, prev.startOffset + prev.image.length, t.startOffset) : 0;
    const blank = gap >= 2;
    if (isComment(t)) {
      if (prev && gap === 0 && curHas) cur += " " + t.image;
      else begin(depth + (inside(t.startOffset) ? 1 : 0), blank, t.image);
      if (t.tokenType === T.LineComment) flush();
    } else {
      if (t.tokenType === T.RBrace && l.closes.has(t.startOffset)) {
        depth = Math.max(0, depth - 1);
        afterOpen = true; // no blank line before a closing brace
      }
      if (l.lineStarts.has(t.startOffset)) begin(depth, blank, t.image);
      else if (!curHas) begin(depth + 1, false, t.image);
      else {
        const spaced = l.spacedEquals.has(t.startOffset) || (prev !== undefined && l.spacedEquals.has(prev.startOffset));
        const tight =
          !spaced &&
          prev !== undefined &&
          (NO_SPACE_BEFORE.has(t.tokenType) || NO_SPACE_AFTER.has(prev.tokenType) || SELECTOR_OPS.has(t.tokenType) || SELECTOR_OPS.has(prev.tokenType));
        cur += (tight ? "" : " ") + t.image;
      }
      if (t.tokenType === T.LBrace && l.opens.has(t.startOffset)) {
        depth++;
        flush();
        afterOpen = true;
      }
    }
    prev = t;
  }
  flush();
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return { ok: true, text: lines.length > 0 ? lines.join("\n") + "\n" : "" };
}
