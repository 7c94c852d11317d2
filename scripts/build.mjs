// Builds ztc: generated code (schema validators, embedded stdlib), then one bundled ESM file per entry point.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
execFileSync(process.execPath, [join(root, "scripts/generate.mjs")], { stdio: "inherit" });
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: process.env["ZTC_NO_MINIFY"] !== "1",
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
  define: { __ZTC_VERSION__: JSON.stringify(version) },
  // Bundled CommonJS dependencies (picomatch) may call require() for Node built-ins.
  banner: { js: "import { createRequire as __ztcCreateRequire } from 'node:module'; const require = __ztcCreateRequire(import.meta.url);" },
};
rmSync(join(root, "dist/chunks"), { recursive: true, force: true });
// Code splitting: `ztc lsp` loads the language server as a separate chunk, so the other commands
// do not parse it at start-up.
await build({ ...common, splitting: true, chunkNames: "chunks/[name]-[hash]", entryPoints: { ztc: join(root, "compiler/cli/bin.ts") }, outdir: join(root, "dist") });
// `ztc lsp` (bin/ztc.js): a small loader, and the server as one CommonJS file, which the loader runs
// through V8's code cache (compiler/cli/code-cache.ts; ESM has no code cache in Node 20).
await build({ ...common, entryPoints: { lsp: join(root, "compiler/cli/lsp-bin.ts") }, outdir: join(root, "dist") });
await build({ ...common, format: "cjs", banner: {}, outExtension: { ".js": ".cjs" }, entryPoints: { "lsp-server": join(root, "compiler/cli/lsp-command.ts") }, outdir: join(root, "dist") });
console.log(`ztc ${version}: built dist/ztc.js and dist/lsp.js`);
