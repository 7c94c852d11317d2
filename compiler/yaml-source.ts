/**
 * YAML 1.2 loading that refuses duplicate keys and alias bombs and maps a JSON path (as ajv reports
 * it) back to the span of the YAML node.
 *
 * Two parsers, each for what it does best: js-yaml reads the value (an order of magnitude faster,
 * which matters for registries with thousands of entries), and `yaml` parses positions, only when a
 * diagnostic needs one, and reads anything js-yaml refuses or that uses anchors, so every error gets
 * `yaml`'s precise location and its alias-expansion limit.
 */
import jsyaml from "js-yaml";
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { diag, type Diagnostic } from "../language/index.js";
import type { Span } from "../language/index.js";

/** Alias expansion cap: generous for hand-written registries, fatal for "billion laughs". */
const MAX_ALIAS_COUNT = 100;
/** An anchor definition (`&name`): such files take the `yaml` path with its alias limit. */
const ANCHOR = /(?:^|[\s,[{:-])&[^\s,[\]{}]/m;

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** The parsed document with positions (parsed on first use), for fixes that edit the file. */
  readonly document: Document.Parsed | undefined;
  /** The span of the node at a JSON path; `key` targets the mapping key instead of its value. */
  locate(path: readonly (string | number)[], key?: boolean): Span;
}

function parseWithPositions(text: string): Document.Parsed | undefined {
  try {
    return parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" });
  } catch {
    return undefined;
  }
}

export function loadYaml(text: string, file: string): YamlSource {
  if (!ANCHOR.test(text)) {
    try {
      const value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file });
      let doc: Document.Parsed | undefined | null = null;
      const document = () => (doc === null ? (doc = parseWithPositions(text)) : doc);
      return {
        file,
        text,
        value: value === undefined ? null : value,
        ok: true,
        diagnostics: [],
        get document() {
          return document();
        },
        locate: (path, key = false) => locateIn(document(), text, path, key),
      };
    } catch {
      // Fall through: `yaml` explains the problem with a precise location.
    }
  }
  return loadSlow(text, file);
}

function loadSlow(text: string, file: string): YamlSource {
  const diagnostics: Diagnostic[] = [];
  const doc = parseWithPositions(text);
  const locate = (path: readonly (string | number)[], key = false): Span => locateIn(doc, text, path, key);
  const result = (value: unknown, ok: boolean): YamlSource => ({ file, text, value, ok, diagnostics, document: doc, locate });
  if (!doc) {
    diagnostics.push(diag("yamlSyntax", { file, span: { start: 0, end: 0 } }, { message: "the file could not be parsed" }));
    return result(undefined, false);
  }
  for (const e of [...doc.errors, ...doc.warnings]) {
    const [start, end] = e.pos;
    const span = { start, end: Math.max(start, end) };
    if (e.code === "DUPLICATE_KEY") {
      const keyText = text.slice(start, end).trim() || firstLine(e.message);
      diagnostics.push(diag("duplicateKey", { file, span }, { key: keyText.replace(/:$/, "") }));
    } else diagnostics.push(diag("yamlSyntax", { file, span }, { message: firstLine(e.message) }));
  }
  if (diagnostics.length > 0) return result(undefined, false);
  if (doc.contents === null) return result(null, true);
  try {
    return result(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), true);
  } catch (e) {
    const message = (e as Error).message;
    if (/alias/i.test(message)) diagnostics.push(diag("aliasLimit", { file, span: firstAlias(text) }, {}));
    else diagnostics.push(diag("yamlSyntax", { file, span: { start: 0, end: 0 } }, { message: firstLine(message) }));
    return result(undefined, false);
  }
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
