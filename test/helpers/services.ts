/**
 * One helper for every editor-service test: a project whose file under test is written with
 * cursor markers (`<|>`, `<|...|>`), and the service document for it.
 */
import type { TextEdit } from "../../language/index.js";
import type { Program } from "../../compiler/program.js";
import { unitOf, type ServiceDocument } from "../../compiler/services/index.js";
import { extractMarkers } from "./markers.js";
import { program, projectFiles, type ProjectFiles } from "./project.js";

export const PAYMENTS = "tenants/payments/policy.zt";

export interface Fixture {
  readonly doc: ServiceDocument & { program: Program };
  readonly program: Program;
  readonly text: string;
  /** The `<|>` markers, in order. */
  readonly at: number[];
  /** The `<|...|>` ranges, in order. */
  readonly ranges: { start: number; end: number }[];
  readonly files: ProjectFiles;
  readonly file: string;
}

/** A project with `template` (markers removed) as `file`, plus `extra` files. */
export function fixture(template: string, extra: ProjectFiles = {}, file = PAYMENTS): Fixture {
  const m = extractMarkers(template);
  const files = projectFiles({ [file]: m.text, ...extra });
  const p = program(files);
  const unit = unitOf(p, file);
  if (!unit) throw new Error(`${file} is not a source of the test project`);
  return { doc: { unit, program: p }, program: p, text: m.text, at: m.positions, ranges: m.ranges, files, file };
}

/** Applies edits (to any files of the project) and returns the new files. */
export function applyEdits(files: ProjectFiles, edits: readonly TextEdit[]): ProjectFiles {
  const out: ProjectFiles = { ...files };
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) {
    let text = String(out[file] ?? "");
    for (const e of [...list].sort((a, b) => b.span.start - a.span.start)) text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.end);
    out[file] = text;
  }
  return out;
}

/** Diagnostic codes of one file after the edits. */
export function codesAfter(files: ProjectFiles, edits: readonly TextEdit[], file = PAYMENTS): string[] {
  const p = program(applyEdits(files, edits));
  return p.getDiagnostics().filter((d) => d.file === file).map((d) => d.code);
}
