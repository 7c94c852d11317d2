/**
 * Re-parsing after an edit without parsing the whole file again. A 2,000-line file takes 50 ms to
 * parse; the editor needs its diagnostics within 20 ms of a keystroke.
 *
 * The idea: inside a tenant block the parser loops over statements, and its state at the start of
 * a statement is only "in this block, at this token". So the statements around an edit are parsed
 * again from the last one the edit cannot influence, until the parser reaches, again at the start
 * of a statement, a token at which the old parse also started one and after which the text is
 * unchanged. From there the old result holds, moved by the length the edit added. Whenever that
 * cannot be shown (the edit is outside a block, touches braces, or the parse never gets back in
 * step), the caller parses the whole file, so the result is always the one parse() gives (a
 * randomized test compares them).
 */
import { createTokenInstance, type CstNode, type IToken } from "chevrotain";
import type { Comment, Item, SourceFileAst, TenantDecl, TenantItem } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { lexSource, MAX_SYNTAX_ERRORS, syntaxDiagnostic, type ParseResult } from "./parse.js";
import { ztParser } from "./parser.js";
import { isStatementKeyword, RBrace } from "./tokens.js";
import { commonPrefix, commonSuffix, startsLine, type Span } from "./source.js";
import { AstBuilder } from "./to-ast.js";

/** The parser looks at most this many tokens ahead (LA(5) in the selector gate). */
const LOOKAHEAD = 6;
/** The lexer types a statement keyword by at most this many tokens after it (see STATEMENT_KEYWORDS). */
const KEYWORD_LOOKAHEAD = 2;

export interface PreviousParse {
  readonly text: string;
  readonly ast: SourceFileAst;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * A copy with every span moved by `delta`. Spans are the only objects with a numeric `start`
 * (exactly start and end). Other objects are copied by spread, which keeps V8's layout of the
 * original: copies built key by key had layouts of their own, and the checker's reads of every
 * node after an edit that changed the file's length went polymorphic (an insertion took ~2.5 times
 * as long as a replacement). Moved spans are not looked up in the shared span cache: offsets
 * moved by a keystroke are new ones, so the lookup missed and cost as much again (half of the
 * 2.4 ms this took for the second half of a 2,000-line file).
 */
function shifted<T>(value: T, delta: number): T {
  if (delta === 0) return value;
  const move = (v: object): object => {
    if (Array.isArray(v)) {
      const n = v.length;
      // An empty list is the one shared empty list of the tree builder: nothing to move.
      if (n === 0) return v;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const x: unknown = v[i];
        out[i] = x !== null && typeof x === "object" ? move(x) : x;
      }
      return out;
    }
    const o = v as Record<string, unknown>;
    if (typeof o["start"] === "number") return { start: (o["start"] as number) + delta, end: (o["end"] as number) + delta };
    const out = { ...o };
    for (const k in out) {
      const x = out[k];
      if (x !== null && typeof x === "object") out[k] = move(x);
    }
    return out;
  };
  return move(value as object) as T;
}

/** Only white space and comments between two offsets. */
function blank(text: string, comments: readonly Comment[], from: number, to: number): boolean {
  let i = from;
  let c = 0;
  while (c < comments.length && comments[c]!.span.end <= from) c++;
  while (i < to) {
    const comment = comments[c];
    if (comment && comment.span.start <= i) {
      i = comment.span.end;
      c++;
      continue;
    }
    if (!/\s/.test(text.charAt(i))) return false;
    i++;
  }
  return true;
}

/**
 * Can no decision made before `from` see the edit at `to`? The parser looks LOOKAHEAD tokens
 * ahead; a statement keyword among the last tokens before the edit may change its type with the
 * edit, so then the parser must not reach it either.
 */
function outOfReach(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  const tokens = lexSource(text, "", from, to).tokens;
  const retyped = tokens.slice(-(KEYWORD_LOOKAHEAD + 1)).some(isStatementKeyword);
  return tokens.length >= LOOKAHEAD + (retyped ? KEYWORD_LOOKAHEAD : 0);
}

type Children = Record<string, (CstNode | IToken)[] | undefined>;

/** End of a statement's first token (its `allow`, `deny`, `workload`, `use`, `mode`, `dns` or `expect`). */
function firstTokenEnd(m: TenantItem): number {
  switch (m.kind) {
    case "Rule":
      return m.actionSpan.end;
    case "Workload":
      return m.span.start + "workload".length;
    case "Use":
      return m.span.start + "use".length;
    case "Mode":
      return m.span.start + "mode".length;
    case "DnsMode":
      return m.span.start + "dns".length;
    case "Expect":
      return m.span.start + "expect".length;
  }
}

/**
 * Index of the first statement to parse again (-1: from the opening brace). The parser must reach
 * it as before: its first token is unchanged (error recovery may have stopped there because of
 * it), and no decision before it looked ahead as far as the edit.
 */
function firstReparsed(text: string, block: TenantDecl, editStart: number): number {
  const body = block.body;
  // The last statement whose first token ends before the edit (statements are in source order).
  let lo = 0;
  let hi = body.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (firstTokenEnd(body[mid]!) < editStart) lo = mid + 1;
    else hi = mid;
  }
  let j = lo - 1;
  while (j >= 1 && !outOfReach(text, body[j - 1]!.span.end, editStart)) j--;
  return j;
}

/** The first statement starting at or after `offset` (statements are in source order); body.length if none does. */
function firstStartingFrom(body: readonly TenantItem[], offset: number): number {
  let lo = 0;
  let hi = body.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (body[mid]!.span.start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The latest start of a span inside a value. */
function latestStart(v: unknown): number {
  if (v === null || typeof v !== "object") return -1;
  const o = v as Record<string, unknown>;
  let latest = typeof o["start"] === "number" && typeof o["end"] === "number" ? o["start"] : -1;
  for (const child of Array.isArray(v) ? v : Object.values(o)) latest = Math.max(latest, latestStart(child));
  return latest;
}

/**
 * The latest span start inside each statement or item, remembered: the next parse keeps the nodes
 * of statements before an edit, so while a file has a syntax error (see reparse()) each keystroke
 * after it asks again about the same ones (a walk of half a 2,000-line file: ~3 ms a keystroke).
 */
const latestStarts = new WeakMap<object, number>();

/** Does any span in these nodes start at `offset` (or after it: no span starts after the end of its text)? */
function hasSpanAt(nodes: readonly object[], offset: number): boolean {
  return nodes.some((n) => {
    let latest = latestStarts.get(n);
    if (latest === undefined) latestStarts.set(n, (latest = latestStart(n)));
    return latest >= offset;
  });
}

/** The parse of `text`, from the parse of the text before an edit; undefined if parse() must do it. */
export function reparse(old: PreviousParse, text: string, file = ""): ParseResult | undefined {
  const before = old.text;
  if (text === before) return { ast: old.ast, diagnostics: old.diagnostics };
  // The edit: a common prefix and suffix around it.
  const max = Math.min(before.length, text.length);
  const start = commonPrefix(before, text, max);
  const tail = commonSuffix(before, text, max - start);
  const oldEnd = before.length - tail;
  const delta = text.length - before.length;
  if (text.includes("\0") || old.diagnostics.length >= MAX_SYNTAX_ERRORS) return undefined;

  // The edit must lie inside the body of one tenant block.
  const items = old.ast.items;
  const bi = items.findIndex(
    (it) => it.kind === "Tenant" && it.block && it.openBrace !== undefined && it.closeBrace !== undefined && it.openBrace.end <= start && oldEnd <= it.closeBrace.start,
  );
  if (bi < 0) return undefined;
  const block = items[bi] as TenantDecl & { openBrace: Span; closeBrace: Span };
  // Nothing after the block may depend on where the first syntax error is (parse() drops items
  // that follow an error on the same line): every later item starts a line and nothing lies between them.
  let cursor = block.span.end;
  for (const it of items.slice(bi + 1)) {
    if (!startsLine(before, it.span.start) || !blank(before, old.ast.comments, cursor, it.span.start)) return undefined;
    cursor = it.span.end;
  }
  if (!blank(before, old.ast.comments, cursor, before.length)) return undefined;

  // First re-parsed statement: one whose predecessors cannot see the edit in their lookahead.
  const body = block.body;
  const j = firstReparsed(before, block, start);
  const from = j >= 0 ? body[j]!.span.start : block.openBrace.end;
  // Where the parse must get back in step: the next statement after the edit, or the closing brace.
  const k = firstStartingFrom(body, oldEnd);
  const sync = k < body.length ? body[k]!.span.start : block.closeBrace.start;
  const syncNew = sync + delta;
  // A diagnostic straddling a boundary cannot be placed. One at the sync token itself belongs to the
  // statements before it: the statement starting there began with a valid first token.
  for (const d of old.diagnostics) if ((d.span.start < from && d.span.end > from) || (d.span.start < sync && d.span.end > sync)) return undefined;
  // Recovery gives parts it could not parse the end of the file as their span: kept statements
  // before the edit must not have one, since the end of the file moves.
  if (old.diagnostics.some((d) => d.span.start <= from) && hasSpanAt([...items.slice(0, bi), ...body.slice(0, Math.max(0, j))], before.length)) return undefined;

  // Lex the statements and enough whole statements after them for the parser's lookahead, then
  // close the block with a brace of our own: a parse cut off mid-statement spends most of its time
  // recovering from the cut. Near the end of the block, the real brace and what follows it (as
  // much as the parser may look at) are lexed instead.
  let to = syncNew;
  let closed = false;
  let lexed: ReturnType<typeof lexSource> | undefined;
  for (let m = k; m < body.length; m++) {
    to = body[m]!.span.end + delta;
    lexed = lexSource(text, file, from, to);
    if (lexed.tokens.filter((t) => t.startOffset >= syncNew).length > LOOKAHEAD + KEYWORD_LOOKAHEAD) break;
    lexed = undefined;
  }
  if (!lexed) {
    closed = true;
    to = syncNew;
    for (;;) {
      to = Math.min(text.length, to + 256);
      lexed = lexSource(text, file, from, to);
      if (to === text.length || lexed.tokens.filter((t) => t.startOffset >= syncNew).length > LOOKAHEAD + KEYWORD_LOOKAHEAD) break;
    }
  }
  // The edit must not swallow the sync point (an open string or comment running over it).
  if (!lexed.tokens.some((t) => t.startOffset === syncNew)) return undefined;
  const crosses = (s: Span) => s.start < syncNew && s.end > syncNew;
  if (lexed.tokens.some((t) => crosses({ start: t.startOffset, end: t.startOffset + t.image.length })) || lexed.comments.some((c) => crosses(c.span))) return undefined;

  const header = lexSource(text, file, block.span.start, block.openBrace.end);
  ztParser.input = closed ? [...header.tokens, ...lexed.tokens] : [...header.tokens, ...lexed.tokens, createTokenInstance(RBrace, "}", to, to, NaN, NaN, NaN, NaN)];
  const cst = ztParser.file();
  const decl = ((cst.children as Children)["item"]?.[0] as CstNode | undefined)?.children as Children | undefined;
  const tenantNode = decl?.["tenantDecl"]?.[0] as CstNode | undefined;
  if (!tenantNode) return undefined;
  const members = ((tenantNode.children as Children)["tenantItem"] ?? []) as CstNode[];
  // In step again: a statement starts exactly at the sync point (or the block closes there).
  const inStep =
    k < body.length
      ? members.some((m) => m.location?.startOffset === syncNew && !m.recoveredNode)
      : ((tenantNode.children as Children)["RBrace"] ?? []).some((t) => (t as IToken).startOffset === syncNew && !(t as IToken).isInsertedInRecovery);
  if (!inStep) return undefined;

  const eof: Span = { start: text.length, end: text.length };
  const builder = new AstBuilder(file, eof);
  const fresh: TenantItem[] = [];
  for (const m of members) {
    if ((m.location?.startOffset ?? Infinity) >= syncNew) break;
    const item = builder.tenantItem(m);
    if (item) fresh.push(item);
  }
  // Diagnostics of the window, in parse()'s order: lexical, syntax (one per position), builder's.
  const inWindow = (s: Span) => s.start < syncNew;
  const syntax: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of ztParser.errors) {
    // Errors found at the sync token belong to the statement before it (the one starting there
    // is in step, so it cannot fail on its first token); later ones are the old parse's.
    if (!Number.isFinite(e.token.startOffset) || e.token.startOffset > syncNew) continue;
    const d = syntaxDiagnostic(e, text, file);
    if (seen.has(d.span.start) || d.span.start < from) return undefined;
    seen.add(d.span.start);
    syntax.push(d);
  }
  // A new first syntax error would change which later items parse() keeps: every later item starts a line (checked above).
  const window = [...lexed.diagnostics.filter((d) => inWindow(d.span)), ...syntax, ...builder.diagnostics].sort(
    (a, b) => a.span.start - b.span.start || a.span.end - b.span.end,
  );
  const diagnostics = [
    // At `from` itself, when a statement starts there: raised by the one before it on seeing that
    // (valid) first token, so found again by the same, unchanged parse.
    ...old.diagnostics.filter((d) => d.span.start < from || (j >= 0 && d.span.start === from)),
    ...window,
    ...shifted(old.diagnostics.filter((d) => d.span.start > sync), delta),
  ];
  if (diagnostics.length > MAX_SYNTAX_ERRORS) return undefined;
  const newBlock: TenantDecl = {
    ...block,
    span: { start: block.span.start, end: block.span.end + delta },
    closeBrace: { start: block.closeBrace.start + delta, end: block.closeBrace.end + delta },
    body: [...body.slice(0, Math.max(0, j)), ...fresh, ...shifted(body.slice(k), delta)],
  };
  const newItems: Item[] = [...items.slice(0, bi), newBlock, ...shifted(items.slice(bi + 1), delta)];
  const comments = [
    ...old.ast.comments.filter((c) => c.span.end <= from),
    ...lexed.comments.filter((c) => c.span.start < syncNew),
    ...shifted(old.ast.comments.filter((c) => c.span.start >= sync), delta),
  ];
  return { ast: { kind: "File", span: { start: 0, end: text.length }, items: newItems, comments }, diagnostics };
}
