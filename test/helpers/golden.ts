/** Golden-file cases: one folder per case, with its inputs and an `expected.txt`. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { renderText } from "../../compiler/cli/render.js";
import type { Program } from "../../compiler/program.js";
import { renderStream } from "../../compiler/output.js";

export interface GoldenCase {
  readonly name: string;
  readonly dir: string;
  /** Every input file of the case, by path relative to the case folder. */
  readonly files: Record<string, string>;
}

export function goldenCases(root: string): GoldenCase[] {
  const cases = readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const files: Record<string, string> = {};
      const walk = (d: string) => {
        for (const e of readdirSync(d).sort()) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) walk(p);
          else if (e !== "expected.txt") files[relative(dir, p).split("\\").join("/")] = readFileSync(p, "utf8");
        }
      };
      walk(dir);
      return { name, dir, files };
    });
  // A golden suite that finds nothing must fail, not pass vacuously.
  if (cases.length === 0) throw new Error(`no golden cases under ${root}`);
  return cases;
}

/** Diagnostics as the CLI prints them (no colour), then the YAML stream when compilation succeeded. */
export function renderCompilation(program: Program): string {
  const result = program.emit();
  const diagnostics = renderText(
    { lineIndex: (f) => program.lineIndex(f), displayPath: (f) => f, color: false, version: "test", root: "/project" },
    result.diagnostics,
  );
  const parts = [`# diagnostics\n${diagnostics}`];
  if (result.ok) parts.push(`# output\n${renderStream(result.policies)}`);
  else parts.push("# output\n(nothing written)\n");
  return parts.join("\n");
}
