/**
 * Editor services: offsets in, spans out, no protocol types. The language server (lsp/) only
 * translates between these and LSP; tests call them directly with cursor markers.
 */
export { getCodeActions, type ActionKind, type CodeActionEntry } from "./code-actions.js";
export { compileBaseline, compileFile, compileRule, compileUse, tenantsOfFile, type CompiledFile, type CompiledRule } from "./compiled.js";
export { getCompletions, usableApprovals, type CompletionEntry, type CompletionKind, type CompletionResult } from "./completion.js";
export { diagnosticAnchor, diagnosticHref } from "./diagnostic-docs.js";
export { documentFor, inProgram, looseDocument, unitOf, type ServiceDocument } from "./document.js";
export {
  decidingRules,
  expectStatus,
  explainAt,
  getCodeLenses,
  type CodeLensEntry,
  type DecidingRule,
  type ExpectStatus,
  type ExplainAnswer,
} from "./explain.js";
export { formatDocument, minimalEdit, onTypeFormat, type FormatOutcome, type FormattedDocument } from "./formatting.js";
export { getHover, type HoverResult } from "./hover.js";
export { getDefinition, getHighlights, getReferences, getRenameEdits, prepareRename, type RenameCheck } from "./navigation.js";
export {
  getDocumentSymbols,
  getFoldingRanges,
  getSemanticTokens,
  type FoldingRange,
  type OutlineSymbol,
  type SemanticToken,
  type SymbolKind,
  type TokenKind,
} from "./outline.js";
export { importableModules, importedModule, rulesetInfo, type ModuleInfo, type ParamInfo, type RulesetInfo } from "./modules.js";
export { symbolAt, type SymbolAt } from "./symbol-at.js";
export { syntaxContext, type Expected, type SyntaxContext } from "./syntax-context.js";
