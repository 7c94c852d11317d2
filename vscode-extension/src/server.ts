/** The bundled language server (out/server.cjs), started by the extension over IPC. */
import { startLanguageServer } from "../../lsp/server.js";

startLanguageServer();
