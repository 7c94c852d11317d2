/**
 * The server's code cache (compiler/cli/code-cache.ts) through the real start (bin/ztc.js lsp
 * --stdio): saved by the first start, used by the next, and a bad or refused cache is only a slower
 * start. A cache V8 keeps refusing (flags set after the start, see compiler/cli/lsp-bin.ts) would
 * show here as a second start that does not say "accepted".
 */
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, ROOT } from "../helpers/example.js";
import { LspClient } from "../helpers/lsp-client.js";

let work: string;
let cache: string;

/** Starts a server, waits for its first whole-workspace check, stops it; returns what it said about its code cache. */
async function start(cacheDir: string, args = [join(ROOT, "bin/ztc.js"), "lsp", "--stdio"]): Promise<{ cache: string; search: string[] }> {
  const c = new LspClient({
    command: process.execPath,
    args,
    cwd: work,
    env: { ...process.env, ZTC_CACHE_DIR: cacheDir, ZTC_LSP_TRACE: "1" },
  });
  try {
    // Said once the workspace is checked, just before the cache is saved.
    const said = c.waitFor((m) => m.method === "window/logMessage" && (m.params as { message: string }).message.startsWith("ztc: code cache: "));
    await c.initialize(pathToFileURL(work).href, { today: "2026-11-21" });
    const message = (await said).params as { message: string };
    const search = c.lastDiagnostics(pathToFileURL(join(work, "tenants/search/policy.zt")).href)?.diagnostics.map((d) => d.code ?? "") ?? [];
    return { cache: message.message.slice("ztc: code cache: ".length), search };
  } finally {
    await c.stop();
  }
}

beforeAll(() => {
  work = copyExample("ztc-lsp-cache-");
  cache = join(work, ".cache");
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("language server code cache", () => {
  it("is saved by the first start and used by the next", async () => {
    const first = await start(cache);
    expect(first.cache).toBe("missing");
    expect(first.search).toEqual(["ZT3025", "ZT3014"]);
    expect(readdirSync(cache).filter((f) => f.endsWith(".v8cache"))).toHaveLength(1);
    const second = await start(cache);
    expect(second).toEqual({ cache: "accepted", search: first.search });
  });

  it("starts as usual from a damaged cache, and replaces it", async () => {
    const [file] = readdirSync(cache).filter((f) => f.endsWith(".v8cache"));
    writeFileSync(join(cache, file!), "not a cache");
    expect((await start(cache)).cache).toBe("missing");
    expect((await start(cache)).cache).toBe("accepted");
  });

  it("is used by the VS Code extension's server too", async () => {
    // Bundled as scripts/package-vscode.mjs does (a loader, and the server it loads).
    const out = join(work, ".ext");
    const ext = join(ROOT, "vscode-extension/src");
    await build({
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      logLevel: "error",
      define: { __ZTC_VERSION__: '"0.0.0"' },
      entryPoints: { server: join(ext, "server.ts"), "server-main": join(ext, "server-main.ts") },
      outdir: out,
      outExtension: { ".js": ".cjs" },
    });
    const extensionCache = join(work, ".ext-cache");
    const first = await start(extensionCache, [join(out, "server.cjs"), "--stdio"]);
    expect(first).toEqual({ cache: "missing", search: ["ZT3025", "ZT3014"] });
    expect((await start(extensionCache, [join(out, "server.cjs"), "--stdio"])).cache).toBe("accepted");
  });

  it("removes caches not used for a month when it saves one, and keeps the used ones", async () => {
    const folder = join(work, ".prune-cache");
    const first = await start(folder);
    expect(first.cache).toBe("missing");
    const [own] = readdirSync(folder);
    const stale = join(folder, "0123456789abcdef.v8cache");
    const recent = join(folder, "fedcba9876543210.v8cache");
    writeFileSync(stale, "an older install's cache");
    writeFileSync(recent, "another install's cache, in use");
    const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    utimesSync(stale, longAgo, longAgo);
    utimesSync(join(folder, own!), longAgo, longAgo);
    // The next start uses (and so marks) its own cache; a damaged one makes it save again, which prunes.
    expect((await start(folder)).cache).toBe("accepted");
    expect(Date.now() - statSync(join(folder, own!)).mtimeMs).toBeLessThan(24 * 3600 * 1000);
    writeFileSync(join(folder, own!), "damaged");
    expect((await start(folder)).cache).toBe("missing");
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(folder, own!))).toBe(true);
  });

  it("can be turned off", async () => {
    const off = await start("");
    expect(off).toEqual({ cache: "off", search: ["ZT3025", "ZT3014"] });
  });
});
