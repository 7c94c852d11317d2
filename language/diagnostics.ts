/**
 * The diagnostic shape shared by every phase, the CLI and the language server. Protocol types
 * never appear here: lsp/ converts, the CLI renders, nothing re-analyses.
 */
import type { Span } from "./source.js";
import { CATALOG, entryForCode, type CatalogEntry, type CodeName } from "./catalog.js";

export type Severity = "error" | "warning" | "info";

/** A text replacement in one file (project-relative path). An empty span inserts. */
export interface TextEdit {
  readonly file: string;
  readonly span: Span;
  readonly newText: string;
}

/** A fix computed by the phase that found the problem; the CLI prints it, the editor applies it. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

export interface RelatedInfo {
  readonly file: string;
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  /** Stable code, e.g. ZT2001. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Project-relative path with forward slashes ("" for problems that belong to no file). */
  readonly file: string;
  readonly span: Span;
  /** How to fix it, in one sentence; printed by the CLI under the caret, shown by the editor. */
  readonly help?: string | undefined;
  readonly fixes?: readonly Fix[] | undefined;
  readonly related?: readonly RelatedInfo[] | undefined;
}

export interface Location {
  readonly file: string;
  readonly span: Span;
}

export interface DiagnosticExtras {
  help?: string | undefined;
  fixes?: readonly Fix[] | undefined;
  related?: readonly RelatedInfo[] | undefined;
  /** Overrides the catalog severity (e.g. a warning promoted by configuration). */
  severity?: Severity | undefined;
}

/** Builds a diagnostic from a catalog entry; the only way phases create diagnostics. */
export function diag<N extends CodeName>(
  name: N,
  at: Location,
  args: Parameters<(typeof CATALOG)[N]["message"]>[0],
  extras: DiagnosticExtras = {},
): Diagnostic {
  const entry = CATALOG[name] as CatalogEntry<typeof args>;
  const help = extras.help ?? (typeof entry.help === "function" ? entry.help(args) : entry.help);
  // A did-you-mean suggestion is always for the name the diagnostic points at: it becomes the
  // fix, so the CLI prints it and editors apply it, from this one place.
  const suggestion = (args as { suggestion?: unknown } | undefined)?.suggestion;
  const fixes =
    extras.fixes ??
    (typeof suggestion === "string" && at.file !== "" && at.span.end > at.span.start
      ? [{ title: `Replace with '${suggestion}'`, edits: [{ file: at.file, span: at.span, newText: suggestion }] }]
      : undefined);
  return {
    code: entry.code,
    severity: extras.severity ?? entry.severity,
    message: entry.message(args),
    file: at.file,
    span: at.span,
    help,
    fixes: fixes && fixes.length > 0 ? fixes : undefined,
    related: extras.related && extras.related.length > 0 ? extras.related : undefined,
  };
}

/** Deterministic order: file, position, code, message. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.span.start !== b.span.start) return a.span.start - b.span.start;
  if (a.span.end !== b.span.end) return a.span.end - b.span.end;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** True for problems with the environment (missing files, unwritable output) rather than the input. */
export function isEnvironmentProblem(d: Diagnostic): boolean {
  return entryForCode(d.code)?.kind === "io";
}

export { CATALOG, type CodeName, type CatalogEntry };
