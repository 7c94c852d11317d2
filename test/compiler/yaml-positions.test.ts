/**
 * YamlPositions from js-yaml's node events (fast) must say exactly what the positions from
 * `yaml`'s document say, or decline: checked on handwritten documents, on every YAML file of the
 * repository's fixtures and examples, and on random registries.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { YamlPositions } from "../../compiler/yaml-source.js";

const ROOT = join(import.meta.dirname, "../..");

function slow(text: string): YamlPositions {
  return YamlPositions.fromDocument(parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" }));
}

/** Everything YamlPositions keeps, to compare two of them. */
function dump(p: YamlPositions): unknown {
  const fields = p as unknown as { nodes: Int32Array; entries: Int32Array; keys: (string | undefined)[] };
  return { root: p.root, nodes: [...fields.nodes], entries: [...fields.entries], keys: fields.keys };
}

function expectSame(text: string): void {
  const fast = YamlPositions.fromEvents(text);
  expect(fast, `declined:\n${text}`).toBeDefined();
  expect(dump(fast!), text).toEqual(dump(slow(text)));
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe("YAML positions from js-yaml's events", () => {
  it.each([
    ["a registry entry", "approvals:\n  - id: APR-1\n    destination: api.stripe.com\n    ports: [443/tcp]\n    tenants: [payments, ledger]\n    expires: 2030-01-01\n"],
    ["comments everywhere", "# head\ntenants:   # after a key\n  # before an entry\n  payments:\n    namespaces: [payments]  # trailing\n    # inside\n    paths: [\"tenants/payments/**\"]\n# tail\n"],
    ["no line break at the end", "a:\n  - b\n  - c"],
    ["CRLF line breaks", "a:\r\n  b: 1\r\n  c: [x, y]\r\n"],
    ["nested sequences and flow mappings", "a:\n  - b: 1\n    c: { d: 2, e: [3, 4] }\n  - [5, 6]\n  - {g: 7}\n  - f\nnamespaces:\n  kube-system: {}\n"],
    ["quoted and non-string keys", "\"quoted key\": 1\n'single': two\n3: three\ntrue: yes\nnull: nothing\n"],
    ["a sequence at its key's indentation", "a:\n- b\n- c: 1\n  d: 2\n"],
    ["blank lines between entries", "a:\n\n  b: 1\n\n\n  c: 2\n\n"],
    ["a scalar document", "just text\n"],
    ["quoted scalars with escapes and colons", "a: \"x: y # not a comment\"\nb: 'it''s'\nc: \"tab\\t\"\n"],
  ])("%s", (_name, text) => expectSame(text));

  it("declines what it does not read, and `yaml` reads it instead", () => {
    for (const text of [
      "a: |\n  block\n  scalar\n",
      "a: >\n  folded\n",
      "a:\nb: 1\n",
      "a: !!str 1\n",
      "a: &x 1\nb: *x\n",
      "? complex\n: key\n",
      "\uFEFFa: 1\n",
      "a: 1\n---\nb: 2\n",
      "",
    ]) {
      expect(YamlPositions.fromEvents(text), text).toBeUndefined();
    }
  });

  it("agrees with `yaml` on every YAML file of the fixtures and examples", () => {
    const files = [...yamlFiles(join(ROOT, "test")), ...yamlFiles(join(ROOT, "examples"))];
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const fast = YamlPositions.fromEvents(text);
      if (!fast) continue;
      read++;
      expect(dump(fast), file).toEqual(dump(slow(text)));
    }
    // The registries among them are read fast (emitted policies may be declined).
    expect(read).toBeGreaterThan(files.filter((f) => /(tenants|approvals)\.yaml$/.test(f)).length - 1);
  });

  it("agrees with `yaml` on random registries", () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const scalar = fc.oneof(word, word.map((w) => `"${w}: #x"`), fc.integer({ min: 0, max: 99999 }).map(String), fc.constant("2030-01-01"));
    const comment = fc.oneof(fc.constant(""), fc.constant("  # note"), fc.constant(" #"));
    const entry = fc.record({
      id: word,
      fields: fc.array(fc.tuple(word, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`)), comment), { minLength: 1, maxLength: 5 }),
      blank: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.boolean(), (entries, finalBreak) => {
        const lines = ["approvals:"];
        for (const e of entries) {
          if (e.blank) lines.push("");
          lines.push(`  - id: ${e.id}`);
          const seen = new Set(["id"]);
          for (const [k, v, c] of e.fields) if (!seen.has(k)) seen.add(k), lines.push(`    ${k}: ${v}${c}`);
        }
        const text = lines.join("\n") + (finalBreak ? "\n" : "");
        expectSame(text);
      }),
      { numRuns: 300 },
    );
  });
});
