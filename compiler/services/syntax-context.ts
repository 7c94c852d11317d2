/**
 * What the grammar allows at the cursor. The tokens of the current statement are fed to the
 * parser's content assist, which answers with every token that may come next and the grammar
 * rules it would be parsed by. Keyword completion therefore follows the grammar by construction:
 * a new statement kind or clause needs no change here, only a provider for the names it takes.
 *
 * Chevrotain 12 removed `computeContentAssist`; ztc pins 11.x (Node 20). Moving to 12 means
 * replacing this one function, nothing else in the services.
 */
import type { IToken, TokenType } from "chevrotain";
import type { SourceFileAst, Span } from "../../language/index.js";
import { ztParser } from "../../language/parser.js";
import { keywordOf, ztLexer, UnterminatedString, type Keyword } from "../../language/tokens.js";

/** One token the grammar accepts next, and where. */
export interface Expected {
  readonly token: TokenType;
  /** The keyword, when the token is one. */
  readonly keyword?: Keyword | undefined;
  /** The grammar rule that would consume it (innermost). */
  readonly rule: string;
  /** Which CONSUME of that rule (0 for the first, 2 for CONSUME2, ...): tells names apart. */
  readonly occurrence: number;
  readonly ruleStack: readonly string[];
}

export interface SyntaxContext {
  /** The partial word before the cursor, which a completion replaces. */
  readonly replace: Span;
  readonly partial: string;
  readonly expected: readonly Expected[];
  /** The tokens of the statement before the partial word (what the user has written so far). */
  readonly before: readonly IToken[];
}

const WORD = /[A-Za-z0-9_.*-]/;

/** The text of the statement the cursor is in, up to `end`, as a prefix the grammar can start from. */
function statementPrefix(text: string, ast: SourceFileAst, end: number): string {
  let item: SourceFileAst["items"][number] | undefined;
  for (const it of ast.items) if (it.span.start < end) item = it;
  if (!item) return text.slice(0, end).replace(/^[\s\S]*\}/, "");
  if (item.kind === "Tenant" && item.openBrace && end >= item.openBrace.end && (!item.closeBrace || end <= item.closeBrace.start)) {
    // Inside a block: the block header, then the current member only (blocks can be thousands of lines long).
    let member: (typeof item.body)[number] | undefined;
    for (const m of item.body) if (m.span.start < end) member = m;
    const from = member ? member.span.start : item.openBrace.end;
    return `${text.slice(item.span.start, item.openBrace.end)}\n${text.slice(from, end)}`;
  }
  if (item.kind === "Tenant" && item.closeBrace && end > item.closeBrace.start) return text.slice(item.closeBrace.end, end);
  return text.slice(item.span.start, end);
}

function inComment(ast: SourceFileAst, offset: number): boolean {
  return ast.comments.some((c) => offset > c.span.start && (offset < c.span.end || (!c.block && offset === c.span.end)));
}

/** The syntactic context at an offset, or undefined inside comments and strings. */
export function syntaxContext(text: string, ast: SourceFileAst, offset: number): SyntaxContext | undefined {
  const at = Math.max(0, Math.min(offset, text.length));
  if (inComment(ast, at)) return undefined;
  let start = at;
  while (start > 0 && WORD.test(text.charAt(start - 1))) start--;
  const prefix = statementPrefix(text, ast, start);
  const lexed = ztLexer.tokenize(prefix);
  const tokens = lexed.tokens;
  const last = tokens[tokens.length - 1];
  // An open string swallows the rest of the line: the cursor is inside it.
  if (last?.tokenType === UnterminatedString) return undefined;
  let paths: ReturnType<typeof ztParser.computeContentAssist> = [];
  try {
    paths = ztParser.computeContentAssist("file", tokens);
  } catch {
    paths = [];
  }
  const seen = new Set<string>();
  const expected: Expected[] = [];
  for (const p of paths) {
    const rule = p.ruleStack[p.ruleStack.length - 1] ?? "file";
    const id = `${p.nextTokenType.name}|${rule}|${p.nextTokenOccurrence}`;
    if (seen.has(id)) continue;
    seen.add(id);
    expected.push({ token: p.nextTokenType, keyword: keywordOf(p.nextTokenType), rule, occurrence: p.nextTokenOccurrence, ruleStack: p.ruleStack });
  }
  return { replace: { start, end: at }, partial: text.slice(start, at), expected, before: tokens };
}
