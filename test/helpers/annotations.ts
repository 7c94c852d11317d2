/**
 * Diagnostics asserted by annotation, rust-analyzer style: a comment line of carets under the
 * offending text names the code. Annotations are .zt comments, so the file parses unchanged.
 *
 *     allow egress to api.example.org:443
 *   //                ^^^^^^^^^^^^^^^^^^^ ZT3001
 */
import { LineIndex, type Diagnostic } from "../../language/index.js";

export interface Expected {
  line: number;
  start: number;
  end: number;
  code: string;
}

const ANNOTATION = /^(\s*\/\/\s*)(\^+)\s+(ZT\d{4})\s*$/;

export function annotations(text: string): Expected[] {
  const lines = text.split("\n");
  const out: Expected[] = [];
  let target = -1;
  lines.forEach((l, i) => {
    const m = ANNOTATION.exec(l);
    if (!m) {
      target = i;
      return;
    }
    const start = l.indexOf("^");
    out.push({ line: target, start, end: start + m[2]!.length, code: m[3]! });
  });
  return out;
}

/** Renders diagnostics of one file as annotations, for readable comparisons in test failures. */
export function actualAnnotations(text: string, diagnostics: readonly Diagnostic[], file: string): Expected[] {
  const li = new LineIndex(text);
  return diagnostics
    .filter((d) => d.file === file)
    .map((d) => {
      const s = li.positionAt(d.span.start);
      const e = li.positionAt(d.span.end);
      return { line: s.line, start: s.character, end: e.line === s.line ? e.character : li.line(s.line).length, code: d.code };
    })
    .sort((a, b) => a.line - b.line || a.start - b.start || a.code.localeCompare(b.code));
}

export function sortExpected(e: Expected[]): Expected[] {
  return [...e].sort((a, b) => a.line - b.line || a.start - b.start || a.code.localeCompare(b.code));
}

/** One readable line per annotation: `3:18-35 ZT3001` (1-based line, 0-based columns). */
export function show(e: Expected[]): string[] {
  return sortExpected(e).map((x) => `${x.line + 1}:${x.start}-${x.end} ${x.code}`);
}
