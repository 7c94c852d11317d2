/**
 * Values derived from file texts and kept between runs (compiler/host.ts DerivedCache): a program
 * built from cached values is the program built without them, a value is found again only for the
 * very text (and file, and build) it came from, and the disk cache (compiler/cli/derived-cache.ts)
 * treats anything damaged as a miss.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { afterAll, describe, expect, it } from "vitest";
import { createDerivedCache } from "../../compiler/cli/derived-cache.js";
import { createMemoryHost, type CompilerHost, type DerivedCache } from "../../compiler/host.js";
import { createProgram, type Program } from "../../compiler/program.js";
import { projectFiles, TODAY, DEFAULT_APPROVALS } from "../helpers/project.js";

/** A cache in memory that copies values in and out, as the disk does. */
function memoryCache(): DerivedCache & { entries: Map<string, Buffer>; found: number; stored: number } {
  const entries = new Map<string, Buffer>();
  const cache = {
    entries,
    found: 0,
    stored: 0,
    lookup(kind: string, file: string, text: string) {
      const b = entries.get(`${kind}\0${file}\0${text}`);
      if (b) cache.found++;
      return b ? deserialize(b) : undefined;
    },
    store(kind: string, file: string, text: string, value: unknown) {
      cache.stored++;
      entries.set(`${kind}\0${file}\0${text}`, serialize(value));
    },
  };
  return cache;
}

const withCache = (host: CompilerHost, cache: DerivedCache): CompilerHost => ({ ...host, cache });

/** A policy file above the size from which parses are cached; `broken`: with a syntax error and an unapproved destination. */
function largePolicy(broken = false): string {
  const lines = ["tenant payments {", "  workload api = app=api"];
  for (let i = 0; lines.length < 700; i++) {
    lines.push(`  allow egress from api to tenant checkout port ${1000 + (i % 500)}`);
    if (broken && i === 300) lines.push("  allow egress from api to port");
  }
  lines.push("  allow egress api.stripe.com:443", ...(broken ? ["  allow egress unapproved.example:443"] : []), "}");
  return lines.join("\n") + "\n";
}

/** Approvals above the size from which YAML values are cached. */
function largeApprovals(): string {
  const extra: string[] = [];
  for (let i = 0; i < 300; i++)
    extra.push(`  - id: APR-X${i}`, `    destination: svc-${i}.partner.example`, "    ports: [443/tcp]", "    tenants: [payments]", "    approved-by: secops", `    ticket: SEC-X${i}`, "    expires: 2035-01-01");
  return DEFAULT_APPROVALS.replace("blocked:", `${extra.join("\n")}\nblocked:`);
}

const files = (broken = false) =>
  projectFiles({
    "registry/approvals.yaml": largeApprovals(),
    "tenants/payments/policy.zt": largePolicy(broken),
    "tenants/checkout/policy.zt": "tenant checkout {\n  allow ingress from tenant payments port 1000-1499\n}\n",
  });

/** What a program says and emits, for comparisons. */
function outcome(p: Program) {
  return { diagnostics: p.getDiagnostics(), emitted: p.emit().policies.map((x) => [x.path, x.manifest]) };
}

describe("a program with a derived-value cache", () => {
  it.each([
    ["a policy that compiles", false],
    ["a policy with errors", true],
  ])("keeps the large files' parses and YAML values, and is the same program when it finds them: %s", (_, broken) => {
    const fresh = outcome(createProgram(createMemoryHost(files(broken)), { today: TODAY }));
    if (broken) expect(fresh.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(["ZT1001", "ZT3001"]));
    else expect(fresh.emitted.length).toBeGreaterThan(0);
    const cache = memoryCache();
    const first = outcome(createProgram(withCache(createMemoryHost(files(broken)), cache), { today: TODAY }));
    // The large policy and the large approvals; the small files are not worth a cache.
    expect([...cache.entries.keys()].map((k) => k.split("\0").slice(0, 2).join(" ")).sort()).toEqual([
      "yaml-value-1 registry/approvals.yaml",
      "zt-parse-1 tenants/payments/policy.zt",
    ]);
    expect(cache.found).toBe(0);
    const second = outcome(createProgram(withCache(createMemoryHost(files(broken)), cache), { today: TODAY }));
    expect(cache.found).toBe(2);
    expect(first).toEqual(fresh);
    expect(second).toEqual(fresh);
  });

  it("finds nothing for a changed text, and does not keep the parses of edits", () => {
    const cache = memoryCache();
    const before = createProgram(withCache(createMemoryHost(files()), cache), { today: TODAY });
    const edited = { ...files(), "tenants/payments/policy.zt": largePolicy().replace("port 1000\n", "port 1001\n") };
    const stored = cache.stored;
    // An edit: the old program's parse is the starting point, nothing is looked up or kept.
    const after = createProgram(withCache(createMemoryHost(edited), cache), { today: TODAY }, before);
    expect(cache.stored).toBe(stored);
    expect(outcome(after)).toEqual(outcome(createProgram(createMemoryHost(edited), { today: TODAY })));
    // A first sight of the changed text misses and keeps it.
    const found = cache.found;
    createProgram(withCache(createMemoryHost(edited), cache), { today: TODAY });
    expect(cache.found).toBe(found + 1);
    expect(cache.stored).toBe(stored + 1);
  });
});

describe("the disk cache", () => {
  const folder = mkdtempSync(join(tmpdir(), "ztc-derived-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const settle = () => new Promise((r) => setImmediate(r));

  it("finds a value again for the same text, file, project and build only", async () => {
    const cache = createDerivedCache(folder, "/repo", "build-1");
    const value = { a: [1, "two", null], nested: { deep: true } };
    expect(cache.lookup("k", "f.yaml", "text")).toBeUndefined();
    cache.store("k", "f.yaml", "text", value);
    await settle();
    expect(cache.lookup("k", "f.yaml", "text")).toEqual(value);
    expect(cache.lookup("k", "f.yaml", "text!")).toBeUndefined();
    expect(cache.lookup("other", "f.yaml", "text")).toBeUndefined();
    expect(cache.lookup("k", "g.yaml", "text")).toBeUndefined();
    expect(createDerivedCache(folder, "/other", "build-1").lookup("k", "f.yaml", "text")).toBeUndefined();
    expect(createDerivedCache(folder, "/repo", "build-2").lookup("k", "f.yaml", "text")).toBeUndefined();
    expect(createDerivedCache(folder, "/repo", "build-1").lookup("k", "f.yaml", "text")).toEqual(value);
    expect(cache.describe?.()).toBe("1 found, 4 missed, 1 kept");
    expect(readdirSync(folder).every((f) => f.endsWith(".derived"))).toBe(true);
  });

  it("takes a damaged or truncated file for a miss, and replaces it", async () => {
    const cache = createDerivedCache(folder, "/damaged", "b");
    cache.store("k", "f", "t", { ok: true });
    await settle();
    const [file] = readdirSync(folder).filter((f) => readFileSync(join(folder, f)).length > 0 && cache.lookup("k", "f", "t") !== undefined);
    expect(file).toBeDefined();
    const path = join(folder, file!);
    const good = readFileSync(path);
    for (const bad of [good.subarray(0, 25), Buffer.concat([good.subarray(0, 20), Buffer.from("garbage")]), Buffer.alloc(0)]) {
      writeFileSync(path, bad);
      expect(cache.lookup("k", "f", "t")).toBeUndefined();
    }
    cache.store("k", "f", "t", { ok: 2 });
    await settle();
    expect(cache.lookup("k", "f", "t")).toEqual({ ok: 2 });
  });

  it("writes nothing, and does not throw, where it cannot write", async () => {
    const blocked = join(folder, "a-file");
    writeFileSync(blocked, "not a folder");
    const cache = createDerivedCache(join(blocked, "cache"), "/repo", "b");
    cache.store("k", "f", "t", 1);
    await settle();
    expect(cache.lookup("k", "f", "t")).toBeUndefined();
    // Nor does it for a value structured clone cannot copy.
    const ok = createDerivedCache(folder, "/fn", "b");
    ok.store("k", "f", "t", { f: () => 1 });
    await settle();
    expect(ok.lookup("k", "f", "t")).toBeUndefined();
  });
});
