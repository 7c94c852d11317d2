/**
 * Every token of the .zt language. Keywords are contextual: each one is also in the `Name`
 * category, so a tenant or namespace may be called `default` or `ingress` (except a statement
 * keyword first on its line: see STATEMENT_KEYWORDS). Only bare references
 * (a workload named without the `workload` keyword) are limited to plain identifiers.
 */
import { createToken, Lexer, type CustomPatternMatcherReturn, type ILexingResult, type IToken, type TokenType } from "chevrotain";
import { startsLine } from "./source.js";

/** Category: anything usable as a declared or keyword-introduced name. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
/** Category: names that can stand alone (not keywords). */
export const BareName = createToken({ name: "BareName", pattern: Lexer.NA, label: "a name" });

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  // U+FEFF: a byte order mark at the start is whitespace, so offsets stay those of the editor.
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
/** Reported as ZT1004 by the AST builder; kept as a comment so the parser is not confused by it. */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string" });
/** Matches as a string so the rule around it still parses; reported as ZT1003. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\.)*/,
  categories: [StringLit],
  label: "a string",
});

export const Variable = createToken({ name: "Variable", pattern: /\$[A-Za-z_][A-Za-z0-9_-]*/, label: "a $parameter" });

const addressRun = /[0-9A-Fa-f:.]+(?:\/[0-9]+)?/y;
const ipv4Shape = /^\d+\.\d+\.\d+\.\d+(?:\/\d+)?$/;
const ipv6Shape = /^[0-9A-Fa-f:]*(?::\d+\.\d+\.\d+\.\d+)?(?:\/\d+)?$/;
const nameChar = /[A-Za-z0-9_*.-]/;

/**
 * An IPv4 or IPv6 address, optionally with a prefix length. Only the shape is checked here;
 * the checker validates the value so the error can say exactly what is wrong. A run followed by
 * more name characters is a host name instead (10.0.0.1.nip.io).
 */
function matchAddress(text: string, offset: number): CustomPatternMatcherReturn | null {
  addressRun.lastIndex = offset;
  const m = addressRun.exec(text);
  if (!m) return null;
  const s = m[0];
  const next = text.charAt(offset + s.length);
  if (next !== "" && nameChar.test(next)) return null;
  let colons = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 58) colons++;
  if (colons === 0 ? !ipv4Shape.test(s) : colons < 2 || !ipv6Shape.test(s)) return null;
  return [s];
}

export const Address = createToken({
  name: "Address",
  pattern: { exec: matchAddress },
  line_breaks: false,
  start_chars_hint: [..."0123456789abcdefABCDEF:"],
  label: "an IP address or CIDR",
});

/**
 * A host name or pattern: at least two labels. `*` alone is a Wildcard. Stray dots (`api..x.com`,
 * `.x.com`) still lex as one host so the checker can say precisely what is wrong with it.
 */
export const Host = createToken({
  name: "Host",
  pattern: /\.*[A-Za-z0-9_*-]+(?:\.+[A-Za-z0-9_*-]+)+\.*/,
  label: "a host name",
});
export const Wildcard = createToken({ name: "Wildcard", pattern: /\*+/, label: "'*'" });

export const Ident = createToken({
  name: "Ident",
  pattern: /[A-Za-z_][A-Za-z0-9_-]*/,
  categories: [Name, BareName],
  label: "a name",
});
export const NumberLit = createToken({ name: "NumberLit", pattern: /[0-9]+(?![A-Za-z_])/, label: "a number" });
/** Digit-led words such as label values (3scale) and DNS labels (2048-game). */
export const Word = createToken({
  name: "Word",
  pattern: /[0-9][0-9-]*[A-Za-z_][A-Za-z0-9_-]*/,
  categories: [Name, BareName],
  label: "a name",
});

export const LBrace = createToken({ name: "LBrace", pattern: "{", label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: "}", label: "'}'" });
export const LParen = createToken({ name: "LParen", pattern: "(", label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: ")", label: "')'" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
export const Colon = createToken({ name: "Colon", pattern: ":", label: "':'" });
export const DoubleEquals = createToken({ name: "DoubleEquals", pattern: "==", label: "'=='" });
export const NotEquals = createToken({ name: "NotEquals", pattern: "!=", label: "'!='" });
export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });
export const Bang = createToken({ name: "Bang", pattern: "!", label: "'!'" });
export const Arrow = createToken({ name: "Arrow", pattern: "->", label: "'->'" });
export const Slash = createToken({ name: "Slash", pattern: "/", label: "'/'" });
export const Dash = createToken({ name: "Dash", pattern: "-", label: "'-'" });

/** Every keyword of the language, also used by completion and by the TextMate grammar test. */
export const KEYWORDS = [
  "tenant",
  "workload",
  "allow",
  "deny",
  "ingress",
  "egress",
  "from",
  "to",
  "port",
  "ports",
  "in",
  "notin",
  "namespace",
  "cidr",
  "except",
  "entity",
  "service",
  "within",
  "http",
  "host",
  "header",
  "import",
  "export",
  "ruleset",
  "use",
  "for",
  "baseline",
  "applies",
  "all",
  "tenants",
  "namespaces",
  "where",
  "default",
  "visibility",
  "only",
  "approved",
  "dns",
  "grpc",
  "kafka",
  "icmp",
  "icmpv6",
  "authenticated",
  "serviceaccount",
  "cluster",
  "any",
  "nodes",
  "cidr-group",
  "mode",
  "audit",
  "expect",
] as const;

/**
 * Words with a meaning in one place only, lexed as names so they stay usable as names elsewhere
 * (a workload may be called `denied`): the verdicts that end an `expect`.
 */
export const SOFT_KEYWORDS = ["allowed", "denied"] as const;
export type Keyword = (typeof KEYWORDS)[number];

/**
 * Keywords that start a statement. First on their line, they are never a name: an unfinished
 * `allow egress to tenant` followed by a line `allow ...` is a missing tenant name and then the
 * next rule, not a tenant called `allow` and a broken block. Each has two token types, both in its
 * keyword's category: one also in `Name` (anywhere else), one not (first on a line). `workload`
 * counts only as a declaration (`workload NAME =`), `default` only before `deny`, and the others
 * not before `:`, `=`, `,`, `)` or `/` (an argument called `mode`, a label value in a list).
 */
export const STATEMENT_KEYWORDS = ["allow", "deny", "use", "expect", "mode", "import", "baseline", "ruleset", "tenant", "workload", "default"] as const;
const statementKeywords: ReadonlySet<string> = new Set(STATEMENT_KEYWORDS);

/**
 * Keywords are not lexed by patterns of their own: the lexer reads an Ident and `ztLexer` gives it
 * the keyword's type when its text is exactly a keyword. That is the same token every time (every
 * keyword is a whole Ident, and a longer Ident was never a keyword), without trying the ~50
 * keyword patterns and then the longer alternative at every word.
 */
function keywordName(word: string): string {
  return "Kw" + word.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

interface KeywordTypes {
  /** What the grammar consumes: the token type itself, or the category of the two below. */
  readonly type: TokenType;
  /** The type a token of this keyword gets where it may be a name. */
  readonly asName: TokenType;
  /** For a statement keyword, the type it gets first on a line. */
  readonly atLineStart?: TokenType;
}

function keywordTypes(word: string): KeywordTypes {
  const name = keywordName(word);
  const label = `'${word}'`;
  if (!statementKeywords.has(word)) {
    const type = createToken({ name, pattern: Lexer.NA, categories: [Name], label });
    return { type, asName: type };
  }
  const type = createToken({ name, pattern: Lexer.NA, label });
  return {
    type,
    asName: createToken({ name: name + "AsName", pattern: Lexer.NA, categories: [type, Name], label }),
    atLineStart: createToken({ name: name + "AtLineStart", pattern: Lexer.NA, categories: [type], label }),
  };
}

const keywordTypesByText: ReadonlyMap<string, KeywordTypes> = new Map(KEYWORDS.map((k) => [k, keywordTypes(k)]));

/**
 * Keyword token types by keyword: what the grammar consumes. A token's own type may be a subtype
 * (see STATEMENT_KEYWORDS), so compare with `isKeyword` or `keywordOf`, never with `===`.
 */
export const Kw: Record<Keyword, TokenType> = Object.fromEntries(KEYWORDS.map((k) => [k, keywordTypesByText.get(k)!.type])) as Record<
  Keyword,
  TokenType
>;

const keywordByType: ReadonlyMap<TokenType, Keyword> = new Map(
  KEYWORDS.flatMap((k) => {
    const t = keywordTypesByText.get(k)!;
    return [t.type, t.asName, t.atLineStart].filter((x) => x !== undefined).map((x) => [x, k] as const);
  }),
);

/** The keyword a token (or an expected token type) is, if it is one. */
export function keywordOf(token: IToken | TokenType): Keyword | undefined {
  return keywordByType.get("tokenType" in token ? token.tokenType : token);
}

/** Is the token one of STATEMENT_KEYWORDS (first on its line or not)? */
export function isStatementKeyword(token: IToken): boolean {
  const k = keywordByType.get(token.tokenType);
  return k !== undefined && statementKeywords.has(k);
}

/** Is the token the keyword `word`, in any of its types? */
export function isKeyword(token: IToken | undefined, word: Keyword): boolean {
  return token !== undefined && keywordByType.get(token.tokenType) === word;
}

const keywordTokens = [...KEYWORDS]
  .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
  .flatMap((k) => {
    const t = keywordTypesByText.get(k)!;
    return t.atLineStart ? [t.asName, t.atLineStart, t.type] : [t.type];
  });

/** Lexer order matters: comments before '/', addresses and hosts before names and numbers. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLit,
  UnterminatedString,
  Variable,
  Address,
  Host,
  Wildcard,
  ...keywordTokens,
  Ident,
  // Word before NumberLit: `2048-game` is a name, `8000-8999` a port range.
  Word,
  NumberLit,
  LBrace,
  RBrace,
  LParen,
  RParen,
  Comma,
  Colon,
  DoubleEquals,
  NotEquals,
  Equals,
  Bang,
  Arrow,
  Slash,
  Dash,
  Name,
  BareName,
];

const lexer = new Lexer(allTokens, {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
  // The token set is fixed and tested; skipping validation keeps start-up fast.
  skipValidations: process.env["ZTC_VALIDATE_GRAMMAR"] !== "1",
});

/** Does the statement keyword `tokens[i]` (first on its line) start a statement? */
function startsStatement(word: string, tokens: readonly IToken[], i: number): boolean {
  const next = tokens[i + 1]?.image;
  if (word === "workload") return tokens[i + 2]?.image === "=";
  if (word === "default") return next === "deny";
  return next === undefined || !NOT_AFTER_STATEMENT_KEYWORD.has(next);
}

/** After these, a word first on its line is a name: an argument (`mode: audit`), a list element. */
const NOT_AFTER_STATEMENT_KEYWORD: ReadonlySet<string> = new Set([":", "=", ",", ")", "/"]);

/**
 * The .zt lexer: Chevrotain's, with keywords typed by their text (see keywordTypes). `atStart`
 * says whether the text's start is the start of a line (false for a slice from inside a line).
 */
export const ztLexer = {
  tokenize(text: string, atStart = true): ILexingResult {
    const lexed = lexer.tokenize(text);
    const tokens = lexed.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.tokenType !== Ident) continue;
      const kw = keywordTypesByText.get(t.image);
      if (!kw) continue;
      const type = kw.atLineStart && startsLine(text, t.startOffset, atStart) && startsStatement(t.image, tokens, i) ? kw.atLineStart : kw.asName;
      t.tokenType = type;
      t.tokenTypeIdx = type.tokenTypeIdx!;
    }
    return lexed;
  },
};
