import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogEntries } from "../language/catalog.js";
import { countExamples, withCompiledExamples } from "../scripts/doc-examples.js";
import { diagnosticsMarkdown, withReadmeTable } from "../scripts/gen-docs.js";

const ROOT = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("the diagnostics catalog", () => {
  const entries = catalogEntries();

  it("has unique, well-formed codes and names", () => {
    expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length);
    expect(new Set(entries.map((e) => e.title)).size).toBe(entries.length);
    for (const e of entries) {
      expect(e.code).toMatch(/^ZT[1-69]\d{3}$/);
      expect(e.title).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(e.docs.summary.length).toBeGreaterThan(40);
    }
  });

  it("is documented in docs/diagnostics.md and the README, and both are current", () => {
    const doc = read("docs/diagnostics.md");
    expect(doc, "run npm run docs").toBe(diagnosticsMarkdown());
    for (const e of entries) expect(doc).toContain(`### ${e.code} ${e.title}`);
    const readme = read("README.md");
    expect(readme, "run npm run docs").toBe(withReadmeTable(readme));
    for (const e of entries) expect(readme).toContain(`| [${e.code}]`);
  });

  it("every code is exercised by a test or a golden file", () => {
    const haystack = [...filesUnder(join(ROOT, "test"))].filter((f) => !f.endsWith("docs.test.ts")).map((f) => readFileSync(f, "utf8")).join("\n");
    // Internal errors cannot be provoked through correct code paths; their producers are tested directly.
    const internal = new Set(["ZT9001"]);
    const missing = entries.filter((e) => !internal.has(e.code) && !haystack.includes(e.code)).map((e) => e.code);
    expect(missing).toEqual([]);
  });
});

describe("docs/language.md", () => {
  it("shows exactly what each example compiles to", () => {
    const doc = read("docs/language.md");
    expect(countExamples(doc)).toBeGreaterThan(8);
    expect(doc, "run npm run docs").toBe(withCompiledExamples(doc));
  });
});

describe("docs/cilium-versions.md", () => {
  it("covers every version-dependent feature and every agent feature", async () => {
    const doc = read("docs/cilium-versions.md");
    const versions = read("compiler/cilium/versions.ts");
    const features = [...versions.matchAll(/^ {2}\| "([a-zA-Z]+)"/gm)].map((m) => m[1]!);
    expect(features.length).toBeGreaterThan(3);
    for (const f of features) expect(doc, f).toContain(`\`${f}\``);
    const schema = JSON.parse(read("compiler/schemas/project.schema.json"));
    const agent: string[] = schema.properties.cilium.properties.features.items.enum;
    for (const f of agent) expect(doc, f).toContain(`| \`${f}\` |`);
  });
});
