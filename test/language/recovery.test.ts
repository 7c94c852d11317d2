import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forEachChild, LineIndex, parse, type AstNode } from "../../language/index.js";

const ROOT = join(import.meta.dirname, "../fixtures/recovery");

/** The recovered tree as an indented outline, then the diagnostics with squiggles. */
function baseline(text: string): string {
  const r = parse(text, "case.zt");
  const li = new LineIndex(text);
  const lines: string[] = ["# tree"];
  const walk = (n: AstNode, depth: number) => {
    const s = li.positionAt(n.span.start);
    const e = li.positionAt(n.span.end);
    const snippet = text.slice(n.span.start, n.span.end).replace(/\s+/g, " ");
    lines.push(`${"  ".repeat(depth)}${n.kind} ${s.line + 1}:${s.character + 1}-${e.line + 1}:${e.character + 1} ${JSON.stringify(snippet.length > 60 ? snippet.slice(0, 57) + "..." : snippet)}`);
    forEachChild(n, (c) => walk(c, depth + 1));
  };
  walk(r.ast, 0);
  lines.push("", "# diagnostics");
  for (const d of r.diagnostics) {
    const s = li.positionAt(d.span.start);
    const e = li.positionAt(d.span.end);
    lines.push(`${s.line + 1}:${s.character + 1} ${d.code} ${d.message}`);
    lines.push(`  | ${li.line(s.line)}`);
    lines.push(`  | ${" ".repeat(s.character)}${"^".repeat(Math.max(1, (e.line === s.line ? e.character : li.line(s.line).length) - s.character))}`);
  }
  return lines.join("\n") + "\n";
}

describe("parser recovery (baselines)", () => {
  const cases = readdirSync(ROOT).filter((f) => f.endsWith(".zt")).sort();
  it("has cases", () => expect(cases.length).toBeGreaterThan(5));
  for (const f of cases)
    it(f, async () => {
      await expect(baseline(readFileSync(join(ROOT, f), "utf8"))).toMatchFileSnapshot(join(ROOT, f.replace(/\.zt$/, ".baseline.txt")));
    });
});
