/**
 * The canonical formatter behind `ztc fmt` and the editor's "Format Document". It re-emits the
 * tokens of a file with canonical spacing, one statement per line, two-space indentation inside
 * tenant, baseline and rule set blocks and at most one blank line in a row. It never reorders or drops anything: every
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
  /** `=` tokens that separate a workload name from its selector, or a parameter from its default (written " = "). */
  readonly spacedEquals: Set<number>;
  /** Column to pad to before a workload's " = ", so consecutive declarations line up (as gofmt does). */
  readonly padBefore: Map<number, number>;
  /** `:` of parameters and arguments (written ": "). */
  readonly spacedColons: Set<number>;
  /** `(` right after a rule set's name (written without a space before it). */
  readonly tightParens: Set<number>;
  /** Spans of single statements: a comment inside one is a continuation of it. */
  readonly statements: { start: number; end: number }[];
}

/** The first token of `type` at or after `from` and before `before`. */
function tokenAfter(tokens: readonly IToken[], from: number, before: number, type: unknown): IToken | undefined {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < tokens.length && tokens[i]!.startOffset < before; i++) if (tokens[i]!.tokenType === type) return tokens[i];
  return undefined;
}

function layout(ast: SourceFileAst, tokens: readonly IToken[], text: string): Layout {
  const l: Layout = {
    lineStarts: new Set(),
    opens: new Set(),
    closes: new Set(),
    spacedEquals: new Set(),
    padBefore: new Map(),
    spacedColons: new Set(),
    tightParens: new Set(),
    statements: [],
  };
  const statement = (s: { span: { start: number; end: number } }, name?: { span: { end: number } }) => {
    l.lineStarts.add(s.span.start);
    l.statements.push(s.span);
    if (name) {
      const eq = tokenAfter(tokens, name.span.end, s.span.end, T.Equals);
      if (eq) l.spacedEquals.add(eq.startOffset);
    }
  };
  const callParts = (name: { span: { end: number } } | undefined, end: number, parts: readonly { span: { start: number; end: number } }[]) => {
    if (!name) return;
    const paren = tokenAfter(tokens, name.span.end, end, T.LParen);
    if (paren && paren.startOffset === name.span.end) l.tightParens.add(paren.startOffset);
    else if (paren && !/[^ \t]/.test(text.slice(name.span.end, paren.startOffset))) l.tightParens.add(paren.startOffset);
    for (const p of parts) {
      const colon = tokenAfter(tokens, p.span.start, p.span.end, T.Colon);
      if (colon) l.spacedColons.add(colon.startOffset);
    }
  };
  /** Consecutive workload declarations (no blank line between) get their '=' aligned. */
  const alignWorkloads = (members: readonly { kind: string; span: { start: number; end: number } }[]) => {
    let run: { name: { text: string }; eq: number }[] = [];
    let lastEnd = -1;
    const close = () => {
      const width = Math.max(...run.map((r) => r.name.text.length));
      if (run.length > 1) for (const r of run) l.padBefore.set(r.eq, width - r.name.text.length);
      run = [];
    };
    for (const m of members) {
      const w = m as { kind: string; span: { start: number; end: number }; name?: { text: string; span: { end: number } } };
      const eq = w.kind === "Workload" && w.name ? tokenAfter(tokens, w.name.span.end, w.span.end, T.Equals) : undefined;
      const adjacent = lastEnd >= 0 && newlinesBetween(text, lastEnd, m.span.start) === 1;
      if (!eq || !w.name || !adjacent) close();
      if (eq && w.name) run.push({ name: w.name, eq: eq.startOffset });
      lastEnd = m.span.end;
    }
    close();
  };
  const useParts = (u: { kind: string; span: { end: number }; name?: { span: { end: number } }; args?: readonly { span: { start: number; end: number } }[] }) => {
    if (u.kind === "Use") callParts(u.name, u.span.end, u.args ?? []);
  };
  for (const item of ast.items) {
    const block = (item.kind === "Tenant" && item.block) || item.kind === "Baseline" || item.kind === "Ruleset";
    if (!block) {
      statement(item, item.kind === "Workload" ? item.name : undefined);
      continue;
    }
    l.lineStarts.add(item.span.start);
    if (item.openBrace) l.opens.add(item.openBrace.start);
    if (item.closeBrace) {
      l.closes.add(item.closeBrace.start);
      l.lineStarts.add(item.closeBrace.start);
    }
    for (const member of item.body) {
      statement(member, member.kind === "Workload" ? member.name : undefined);
      useParts(member);
    }
    if (item.kind === "Ruleset") {
      callParts(item.name, item.openBrace?.start ?? item.span.end, item.params);
      for (const p of item.params) if (p.default && p.type) {
        const eq = tokenAfter(tokens, p.type.span.end, p.span.end, T.Equals);
        if (eq) l.spacedEquals.add(eq.startOffset);
      }
    }
    if (item.kind === "Tenant") alignWorkloads(item.body);
  }
  return l;
}

/** Formats one file; refuses (with the syntax errors) when the file does not parse cleanly. */
export function format(text: string, file = ""): FormatResult {
  const parsed = parse(text, file);
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { ok: false, diagnostics: parsed.diagnostics };
  const { tokens } = lexAll(text);
  const l = layout(parsed.ast, tokens, text);
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
      // A line break the author put inside a statement stays, as a continuation line.
      else if (!curHas || (gap > 0 && !l.closes.has(t.startOffset) && !(t.tokenType === T.LBrace && l.opens.has(t.startOffset)))) begin(depth + 1, false, t.image);
      else {
        const spaced =
          l.spacedEquals.has(t.startOffset) ||
          (prev !== undefined && l.spacedEquals.has(prev.startOffset)) ||
          (prev !== undefined && l.spacedColons.has(prev.startOffset));
        const tight =
          l.tightParens.has(t.startOffset) ||
          (!spaced &&
            prev !== undefined &&
            (NO_SPACE_BEFORE.has(t.tokenType) || NO_SPACE_AFTER.has(prev.tokenType) || SELECTOR_OPS.has(t.tokenType) || SELECTOR_OPS.has(prev.tokenType)));
        cur += (tight ? "" : " ".repeat(1 + (l.padBefore.get(t.startOffset) ?? 0))) + t.image;
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
