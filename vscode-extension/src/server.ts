/**
 * The bundled language server's entry (out/server.cjs), started by the extension over IPC. It runs
 * the server (out/server-main.cjs) through V8's code cache, as `ztc lsp` does
 * (compiler/cli/lsp-bin.ts): without it every start of the editor compiled the server anew.
 */
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { cacheFolder, requireCached } from "../../compiler/cli/code-cache.js";
import { SERVER_START_FLAGS } from "../../compiler/cli/start-flags.js";
import type { createDerivedCache } from "../../compiler/cli/derived-cache.js";
import type { startLanguageServer } from "../../lsp/server.js";

// Before the server is compiled: V8 refuses a cache made under other flags (see start-flags.ts).
for (const flag of SERVER_START_FLAGS) setFlagsFromString(flag);

const folder = cacheFolder();
const server = requireCached(path.join(__dirname, "server-main.cjs"), folder);
const start = server.exports["startLanguageServer"] as typeof startLanguageServer;
const derived = server.exports["createDerivedCache"] as typeof createDerivedCache;
start(undefined, { warm: () => server.save(), codeCache: server.cache, derivedCache: folder ? (root) => derived(folder, root, server.build) : undefined });
