/**
 * Process entry point of `ztc lsp` (dist/lsp.js, chosen by bin/ztc.js): the server is one CommonJS
 * bundle (dist/lsp-server.cjs) run through V8's code cache, which saves most of the compiling of
 * its start (start to first diagnostics of the 1,000-tenant bench: about 85 ms of the main thread).
 */
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { cacheFolder, requireCached } from "./code-cache.js";
import type { createDerivedCache } from "./derived-cache.js";
import type { lspCommand } from "./lsp-command.js";
import { SERVER_START_FLAGS } from "./start-flags.js";

// Before the bundle is compiled, so that it is loaded under the flags its cache is saved under.
for (const flag of SERVER_START_FLAGS) setFlagsFromString(flag);

const folder = cacheFolder();
const server = requireCached(fileURLToPath(new URL("./lsp-server.cjs", import.meta.url)), folder);
const run = server.exports["lspCommand"] as typeof lspCommand;
const derived = server.exports["createDerivedCache"] as typeof createDerivedCache;
process.exitCode = await run(
  process.argv.slice(2),
  { stderr: (s) => void process.stderr.write(s) },
  { warm: () => server.save(), codeCache: server.cache, derivedCache: folder ? (root) => derived(folder, root, server.build) : undefined },
);
