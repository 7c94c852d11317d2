#!/usr/bin/env node
// The ztc command. The implementation is bundled into dist/ by `npm run build` (run by npm install).
import { existsSync } from "node:fs";

const bundle = new URL("../dist/ztc.js", import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write("ztc: the CLI is not built yet; run 'npm install' (or 'npm run build') in the ztc checkout\n");
  process.exit(2);
}
// The language server has an entry point of its own, which starts it through V8's code cache.
const server = new URL("../dist/lsp.js", import.meta.url);
await import((process.argv[2] === "lsp" && existsSync(server) ? server : bundle).href);
