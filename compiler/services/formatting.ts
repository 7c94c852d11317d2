/**
 * Formatting is `ztc fmt`: the same formatter, the same refusal on syntax errors, the same line
 * endings. On-type formatting only indents: a new line inside a tenant block, and a closing brace.
 */
import type { Diagnostic, TextEdit } from "../../language/index.js";
import { format } from "../../language/format.js";
import { lexAll } from "../../language/parse.js";
import * as T from "../../language/tokens.js";
import type { ServiceDocument } from "./document.js";

/** What formatting reads of a document: only its text. */
export type FormattedDocument = { readonly unit: Pick<ServiceDocument["unit"], "path" | "text" | "lines"> };

const INDENT = "  ";

/** The smallest single edit turning `before` into `after`. */
export function minimalEdit(file: string, before: string, after: string): TextEdit[] {
  if (before === after) return [];
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return [{ file, span: { start, end: before.length - end }, newText: after.slice(start, after.length - end) }];
}

export type FormatOutcome = { readonly edits: TextEdit[] } | { readonly diagnostics: readonly Diagnostic[] };

/** The edits `ztc fmt` would make, or the syntax errors that stop it. */
export function formatDocument(doc: FormattedDocument): FormatOutcome {
  const { text, path } = doc.unit;
  const crlf = text.includes("\r\n");
  const result = format(crlf ? text.replace(/\r\n/g, "\n") : text, path);
  if (!result.ok) return { diagnostics: result.diagnostics.filter((d) => d.severity === "error") };
  return { edits: minimalEdit(path, text, crlf ? result.text.replace(/\n/g, "\r\n") : result.text) };
}

/** Open tenant-block braces before an offset (strings and comments do not count). */
function depthAt(text: string, offset: number): number {
  let depth = 0;
  for (const t of lexAll(text.slice(0, offset)).tokens) {
    if (t.tokenType === T.LBrace) depth++;
    else if (t.tokenType === T.RBrace) depth = Math.max(0, depth - 1);
  }
  return depth;
}

/**
 * Indentation after typing `ch` ("\n" or "}") with the cursor at `offset`: the line's leading
 * whitespace becomes two spaces per open block, as `ztc fmt` writes it.
 */
export function onTypeFormat(doc: FormattedDocument, offset: number, ch: string): TextEdit[] {
  const { text, path, lines } = doc.unit;
  if (ch !== "\n" && ch !== "}") return [];
  const at = Math.max(0, Math.min(offset, text.length));
  const line = lines.positionAt(ch === "}" ? Math.max(0, at - 1) : at).line;
  const start = lines.lineStart(line);
  const lineText = lines.line(line);
  const lead = /^[ \t]*/.exec(lineText)![0];
  const rest = lineText.slice(lead.length);
  if (ch === "}" && !rest.startsWith("}")) return [];
  let depth = depthAt(text, start);
  if (rest.startsWith("}")) depth = Math.max(0, depth - 1);
  const want = INDENT.repeat(depth);
  return want === lead ? [] : [{ file: path, span: { start, end: start + lead.length }, newText: want }];
}
