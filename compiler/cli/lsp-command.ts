/**
 * `ztc lsp`: the language server's command. Reached from the CLI (main.ts) and, for a start
 * through V8's code cache, as the one CommonJS bundle dist/lsp-server.cjs (see lsp-bin.ts).
 */
import { startLanguageServer, type ServerHooks } from "../../lsp/server.js";
import type { CliIo } from "./main.js";

export async function lspCommand(argv: readonly string[], io: Pick<CliIo, "stderr">, hooks?: ServerHooks): Promise<number> {
  // The language server takes the transport options of vscode-languageserver (--stdio, --node-ipc,
  // --socket=N, --clientProcessId=N), which it reads from process.argv itself.
  if (!argv.slice(1).some((a) => /^--(stdio|node-ipc|socket=|pipe=)/.test(a))) {
    io.stderr("ztc lsp: choose a transport: ztc lsp --stdio\n");
    return 2;
  }
  startLanguageServer(undefined, hooks);
  // The server runs until the client says exit (vscode-languageserver then ends the process).
  return new Promise<number>(() => undefined);
}
export { createDerivedCache } from "./derived-cache.js";
