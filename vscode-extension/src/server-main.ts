/** The language server itself (out/server-main.cjs), loaded by out/server.cjs through V8's code cache. */
export { startLanguageServer } from "../../lsp/server.js";
