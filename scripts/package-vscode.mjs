// `npm run package:vscode`: bundles the VS Code extension (client, language server and command
// line, each one CommonJS file) into vscode-extension/out/ and packages it as dist/ztc-vscode.vsix
// with @vscode/vsce, offline (--no-dependencies: everything is bundled).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ext = join(root, "vscode-extension");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
execFileSync(process.execPath, [join(root, "scripts/generate.mjs")], { stdio: "inherit" });

rmSync(join(ext, "out"), { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: process.env["ZTC_NO_MINIFY"] !== "1",
  sourcemap: "linked",
  logLevel: "warning",
  define: { __ZTC_VERSION__: JSON.stringify(version) },
  // version.ts reads import.meta only when the version was not inlined, which it is here.
  logOverride: { "empty-import-meta": "silent" },
};
await build({ ...common, entryPoints: { extension: join(ext, "src/extension.ts") }, outdir: join(ext, "out"), outExtension: { ".js": ".cjs" }, external: ["vscode"] });
await build({ ...common, entryPoints: { server: join(ext, "src/server.ts"), "server-main": join(ext, "src/server-main.ts"), ztc: join(ext, "src/cli.ts") }, outdir: join(ext, "out"), outExtension: { ".js": ".cjs" } });
// Diagnostics link to their documentation, shipped beside the server (lsp/server.ts defaultDocsUrl).
mkdirSync(join(ext, "docs"), { recursive: true });
copyFileSync(join(root, "docs/diagnostics.md"), join(ext, "docs/diagnostics.md"));
// The stdlib's .zt files, so go to definition can open the bundled modules (lsp/server.ts installed()).
rmSync(join(ext, "stdlib"), { recursive: true, force: true });
mkdirSync(join(ext, "stdlib"), { recursive: true });
for (const f of readdirSync(join(root, "stdlib")).filter((f) => f.endsWith(".zt"))) copyFileSync(join(root, "stdlib", f), join(ext, "stdlib", f));

mkdirSync(join(root, "dist"), { recursive: true });
const vsix = join(root, "dist", "ztc-vscode.vsix");
const vsce = ["--yes", "@vscode/vsce@3.9.2", "package", "--no-dependencies", "--skip-license", "--allow-missing-repository", "--no-rewrite-relative-links", "--out", vsix];
for (let attempt = 1; ; attempt++) {
  try {
    execFileSync("npx", vsce, { cwd: ext, stdio: "inherit", timeout: 300_000, env: { ...process.env, npm_config_yes: "true" } });
    break;
  } catch (e) {
    // npx fetches vsce on first use; a stalled registry download is retried.
    if (attempt >= 3) throw e;
    console.error(`vsce failed (attempt ${attempt}); retrying`);
  }
}
console.log(`ztc ${version}: packaged ${vsix}`);
