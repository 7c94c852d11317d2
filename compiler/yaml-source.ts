/**
 * YAML 1.2 loading that keeps node positions, refuses duplicate keys and alias bombs, and maps a
 * JSON path (as ajv reports it) back to the span of the YAML node.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { diag, type Diagnostic } from "../language/index.js";
import type { Span } from "../language/index.js";

/** Alias expansion cap: generous for hand-written registries, fatal for "billion laughs". */
const MAX_ALIAS_COUNT = 100;

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** The parsed document, for fixes that edit the file in place. */
  readonly document?: Document.Parsed | undefined;
  /** The span of the node at a JSON path; `key` targets the mapping key instead of its value. */
  locate(path: readonly (string | number)[], key?: boolean): Span;
}

export function loadYaml(text: string, file: string): YamlSource {
  const diagnostics: Diagnostic[] = [];
  let doc: Document.Parsed | undefined;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" });
  } catch (e) {
    diagnostics.push(diag("yamlSyntax", { file, span: { start: 0, end: 0 } }, { message: (e as Error).message }));
  }
  const locate = (path: readonly (string | number)[], key = false): Span => locateIn(doc, text, path, key);
  if (!doc) return { file, text, value: undefined, ok: false, diagnostics, locate };
  for (const e of [...doc.errors, ...doc.warnings]) {
    const [start, end] = e.pos;
    const span = { start, end: Math.max(start, end) };
    if (e.code === "DUPLICATE_KEY") {
      const keyText = text.slice(start, end).trim() || firstLine(e.message);
      diagnostics.push(diag("duplicateKey", { file, span }, { key: keyText.replace(/:$/, "") }));
    } else diagnostics.push(diag("yamlSyntax", { file, span }, { message: firstLine(e.message) }));
  }
  if (diagnostics.length > 0) return { file, text, value: undefined, ok: false, diagnostics, locate };
  if (doc.contents === null) return { file, text, value: null, ok: true, diagnostics, locate, document: doc };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = (e as Error).message;
    if (/alias/i.test(message)) diagnostics.push(diag("aliasLimit", { file, span: firstAlias(text) }, {}));
    else diagnostics.push(diag("yamlSyntax", { file, span: { start: 0, end: 0 } }, { message: firstLine(message) }));
    return { file, text, value: undefined, ok: false, diagnostics, locate };
  }
  return { file, text, value, ok: true, diagnostics, locate, document: doc };
}

function firstLine(s: string): string {
  const line = s.split("\n")[0] ?? s;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}

function firstAlias(text: string): Span {
  const m = /\*[A-Za-z0-9_-]+/.exec(text);
  return m ? { start: m.index, end: m.index + m[0].length } : { start: 0, end: 0 };
}

function nodeSpan(n: YamlNode | null | undefined, fallback: Span): Span {
  const r = n?.range;
  return r ? { start: r[0], end: r[1] } : fallback;
}

function locateIn(doc: Document.Parsed | undefined, text: string, path: readonly (string | number)[], key: boolean): Span {
  const whole: Span = { start: 0, end: Math.min(text.length, text.indexOf("\n") >= 0 ? text.indexOf("\n") : text.length) };
  if (!doc) return whole;
  let node: unknown = doc.contents;
  let span = nodeSpan(node as YamlNode, whole);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return span;
      if (last && key) return nodeSpan(pair.key as YamlNode, span);
      node = pair.value;
      span = pair.value ? nodeSpan(pair.value as YamlNode, span) : nodeSpan(pair.key as YamlNode, span);
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return span;
      node = item;
      span = nodeSpan(item as YamlNode, span);
    } else return span;
  }
  return span;
}
