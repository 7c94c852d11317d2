/** The language server itself (out/server-main.cjs), loaded by out/server.cjs through V8's code cache. */
export { startLanguageServer } from "../../lsp/server.js";
export { createDerivedCache } from "../../compiler/cli/derived-cache.js";
