/** The language front end: text in, AST and syntax diagnostics out. No I/O, no registries. */
export * from "./ast.js";
export * from "./diagnostics.js";
export { catalogEntries, entryForCode } from "./catalog.js";
export { parse, MAX_SOURCE_CHARS, MAX_SYNTAX_ERRORS, type ParseResult } from "./parse.js";
export * from "./source.js";
export { KEYWORDS, SOFT_KEYWORDS, type Keyword } from "./tokens.js";
