/**
 * The server's code cache (compiler/cli/code-cache.ts) through the real start (bin/ztc.js lsp
 * --stdio): saved by the first start, used by the next, and a bad or refused cache is only a slower
 * start. A cache V8 keeps refusing (flags set after the start, see compiler/cli/lsp-bin.ts) would
 * show here as a second start that does not say "accepted". The values derived from large files
 * (compiler/cli/derived-cache.ts) are kept in the same folder, and found again for the same texts only.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, ROOT } from "../helpers/example.js";
import { LspClient } from "../helpers/lsp-client.js";

let work: string;
let cache: string;

/** Starts a server, waits for its first whole-workspace check, stops it; returns what it said about its code cache. */
async function start(cacheDir: string, args = [join(ROOT, "bin/ztc.js"), "lsp", "--stdio"], root = work): Promise<{ cache: string; search: string[]; derived?: string }> {
  const c = new LspClient({
    command: process.execPath,
    args,
    cwd: root,
    env: { ...process.env, ZTC_CACHE_DIR: cacheDir, ZTC_LSP_TRACE: "1" },
  });
  try {
    // Said once the workspace is checked, just before the cache is saved.
    const said = c.waitFor((m) => m.method === "window/logMessage" && (m.params as { message: string }).message.startsWith("ztc: code cache: "));
    // Said next, by a server that keeps derived values (in the same cache folder).
    const derived =
      cacheDir === "" ? undefined : c.waitFor((m) => m.method === "window/logMessage" && (m.params as { message: string }).message.startsWith("ztc: derived values: "));
    await c.initialize(pathToFileURL(root).href, { today: "2026-11-21" });
    const message = (await said).params as { message: string };
    const search = c.lastDiagnostics(pathToFileURL(join(root, "tenants/search/policy.zt")).href)?.diagnostics.map((d) => d.code ?? "") ?? [];
    return {
      cache: message.message.slice("ztc: code cache: ".length),
      search,
      ...(derived ? { derived: ((await derived).params as { message: string }).message.slice("ztc: derived values: ".length) } : {}),
    };
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
    expect(second).toEqual({ cache: "accepted", search: first.search, derived: "0 found, 0 missed, 0 kept" });
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
    expect(first).toEqual({ cache: "missing", search: ["ZT3025", "ZT3014"], derived: "0 found, 0 missed, 0 kept" });
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

  it("keeps the parses and YAML values of large files, and reads a changed file anew", async () => {
    // The example, with a large policy (comments) and a large approval registry.
    const big = copyExample("ztc-lsp-derived-");
    try {
      const policy = join(big, "tenants/search/policy.zt");
      writeFileSync(policy, readFileSync(policy, "utf8") + "// a long history of this tenant's decisions, kept here\n".repeat(800));
      const approvals = join(big, "registry/approvals.yaml");
      const extra = Array.from({ length: 300 }, (_, i) =>
        [`  - id: APR-S${i}`, `    destination: svc-${i}.partner.example`, "    ports: [443/tcp]", "    tenants: [search]", "    approved-by: secops", `    ticket: SEC-S${i}`, "    expires: 2035-01-01"].join("\n"),
      );
      writeFileSync(approvals, readFileSync(approvals, "utf8").replace("\napprovals:\n", `\napprovals:\n${extra.join("\n")}\n`));
      const folder = join(big, ".cache");
      const first = await start(folder, undefined, big);
      expect(first.derived).toBe("0 found, 2 missed, 0 kept");
      expect(readdirSync(folder).filter((f) => f.endsWith(".derived"))).toHaveLength(2);
      const second = await start(folder, undefined, big);
      expect(second).toEqual({ cache: "accepted", search: first.search, derived: "2 found, 0 missed, 0 kept" });
      // The search tenant's S3 approval withdrawn: the rule that needed it is an error now.
      writeFileSync(approvals, readFileSync(approvals, "utf8").replace("tenants: [payments, search]", "tenants: [payments]"));
      const third = await start(folder, undefined, big);
      expect(third.derived).toBe("1 found, 1 missed, 0 kept");
      expect(third.search).not.toEqual(first.search);
      expect(third.search).toEqual((await start("", undefined, big)).search);
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });

  it("can be turned off", async () => {
    const off = await start("");
    expect(off).toEqual({ cache: "off", search: ["ZT3025", "ZT3014"] });
  });
});
