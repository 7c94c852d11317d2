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
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { diag, type Diagnostic } from "../language/index.js";
import type { Span } from "../language/index.js";

/** Alias expansion cap: generous for hand-written registries, fatal for "billion laughs". */
const MAX_ALIAS_COUNT = 100;
/** An anchor definition (`&name`): such files take the `yaml` path with its alias limit. */
const ANCHOR = /(?:^|[\s,[{:-])&[^\s,[\]{}]/m;

/**
 * A YAML file as kept for positions and edits. The parsed value is not part of it (see LoadedYaml):
 * a registry keeps its source for as long as it lives, and js-yaml's objects and arrays (each
 * with room for seventeen items) of a registry with thousands of entries take megabytes.
 */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** Where the document's nodes are (parsed on first use), for fixes that edit the file. */
  readonly positions: YamlPositions | undefined;
  /** The span of the node at a JSON path; `key` targets the mapping key instead of its value. */
  locate(path: readonly (string | number)[], key?: boolean): Span;
}

/** A YAML file just read: its source, and its value for the loader to turn into its own objects. */
export interface LoadedYaml {
  readonly source: YamlSource;
  readonly value: unknown;
}

/**
 * Where the nodes of a YAML document are, without the document: `yaml`'s tree of a registry with
 * thousands of entries takes about ten megabytes, of which only the ranges of nodes and the keys
 * of mappings are ever asked for (diagnostics, hovers, the "request approval" fix). Nodes and
 * entries are numbers into flat arrays; -1 is "none" (no node, or a node without a range).
 */
export class YamlPositions {
  /** Per node: kind (NodeKind), start, end, first entry, number of entries. */
  private readonly nodes: Int32Array;
  /** Per entry (a mapping's pair or a sequence's item): key start, key end, value node. */
  private readonly entries: Int32Array;
  /** Per entry: the key's text when it is a scalar (what a path segment is compared with). */
  private readonly keys: (string | undefined)[];
  /** The document's top node, or -1 when it is empty. */
  readonly root: number;

  constructor(doc: Document.Parsed) {
    const nodes: number[] = [];
    const entries: number[] = [];
    const keys: (string | undefined)[] = [];
    // Mapping keys repeat in every entry of a registry ("id", "ports"): one string each.
    const interned = new Map<string, string>();
    const add = (n: unknown): number => {
      if (n === null || n === undefined) return -1;
      const id = nodes.length / 5;
      const range = (n as { range?: [number, number, number] }).range;
      const items: readonly unknown[] = isMap(n) || isSeq(n) ? n.items : [];
      nodes.push(isMap(n) ? NodeKind.Map : isSeq(n) ? (n.flow ? NodeKind.FlowSeq : NodeKind.Seq) : NodeKind.Other, range?.[0] ?? -1, range?.[1] ?? -1, entries.length / 3, items.length);
      // An entry's slots first, then its value's subtree: a node's entries stay contiguous.
      const first = entries.length;
      for (let i = 0; i < items.length; i++) entries.push(-1, -1, -1), keys.push(undefined);
      items.forEach((item, i) => {
        const at = first + i * 3;
        if (!isMap(n)) {
          entries[at + 2] = add(item);
          return;
        }
        if (!isPair(item)) return;
        const key = item.key as { range?: [number, number, number] } | null;
        if (isScalar(item.key)) {
          const text = String(item.key.value);
          keys[at / 3] = interned.get(text) ?? (interned.set(text, text), text);
        }
        entries[at] = key?.range?.[0] ?? -1;
        entries[at + 1] = key?.range?.[1] ?? -1;
        entries[at + 2] = add(item.value);
      });
      return id;
    };
    this.root = add(doc.contents);
    this.nodes = Int32Array.from(nodes);
    this.entries = Int32Array.from(entries);
    this.keys = keys.slice();
  }

  isMap(node: number): boolean {
    return node >= 0 && this.nodes[node * 5] === NodeKind.Map;
  }

  isSeq(node: number): boolean {
    return node >= 0 && (this.nodes[node * 5] === NodeKind.Seq || this.nodes[node * 5] === NodeKind.FlowSeq);
  }

  /** A sequence written `[a, b]` rather than as a block of `- ` lines. */
  isFlow(node: number): boolean {
    return node >= 0 && this.nodes[node * 5] === NodeKind.FlowSeq;
  }

  /** The node's start and the end of its value (yaml's range[0] and range[1]), if it has a range. */
  range(node: number): Span | undefined {
    const start = node >= 0 ? this.nodes[node * 5 + 1]! : -1;
    return start >= 0 ? { start, end: this.nodes[node * 5 + 2]! } : undefined;
  }

  /** How many pairs or items the node has. */
  size(node: number): number {
    return node >= 0 ? this.nodes[node * 5 + 4]! : 0;
  }

  /** The first pair of a mapping whose scalar key reads `key`, or -1. */
  pair(node: number, key: string): number {
    if (!this.isMap(node)) return -1;
    const first = this.nodes[node * 5 + 3]!;
    for (let e = first; e < first + this.size(node); e++) if (this.keys[e] === key) return e;
    return -1;
  }

  /** The index'th item of a sequence, or -1. */
  item(node: number, index: number): number {
    return this.isSeq(node) && Number.isInteger(index) && index >= 0 && index < this.size(node) ? this.nodes[node * 5 + 3]! + index : -1;
  }

  keySpan(entry: number): Span | undefined {
    const start = this.entries[entry * 3]!;
    return start >= 0 ? { start, end: this.entries[entry * 3 + 1]! } : undefined;
  }

  /** The entry's value node (-1 for a key without a value). */
  value(entry: number): number {
    return this.entries[entry * 3 + 2]!;
  }
}

/** Node kinds in YamlPositions. */
const NodeKind = { Other: 0, Map: 1, Seq: 2, FlowSeq: 3 } as const;

function parseWithPositions(text: string): Document.Parsed | undefined {
  try {
    return parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" });
  } catch {
    return undefined;
  }
}

export function loadYaml(text: string, file: string): LoadedYaml {
  if (!ANCHOR.test(text)) {
    try {
      const value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file });
      let known: YamlPositions | undefined | null = null;
      const positions = () => (known === null ? (known = positionsOf(parseWithPositions(text))) : known);
      const source: YamlSource = {
        file,
        text,
        ok: true,
        diagnostics: [],
        get positions() {
          return positions();
        },
        locate: (path, key = false) => locateIn(positions(), text, path, key),
      };
      return { source, value: value === undefined ? null : value };
    } catch {
      // Fall through: `yaml` explains the problem with a precise location.
    }
  }
  return loadSlow(text, file);
}

function loadSlow(text: string, file: string): LoadedYaml {
  const diagnostics: Diagnostic[] = [];
  const doc = parseWithPositions(text);
  const positions = positionsOf(doc);
  const locate = (path: readonly (string | number)[], key = false): Span => locateIn(positions, text, path, key);
  const result = (value: unknown, ok: boolean): LoadedYaml => ({ source: { file, text, ok, diagnostics, positions, locate }, value });
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

function positionsOf(doc: Document.Parsed | undefined): YamlPositions | undefined {
  return doc && new YamlPositions(doc);
}

function locateIn(doc: YamlPositions | undefined, text: string, path: readonly (string | number)[], key: boolean): Span {
  const whole: Span = { start: 0, end: Math.min(text.length, text.indexOf("\n") >= 0 ? text.indexOf("\n") : text.length) };
  if (!doc) return whole;
  let node = doc.root;
  let span = doc.range(node) ?? whole;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (doc.isMap(node)) {
      const pair = doc.pair(node, String(seg));
      if (pair < 0) return span;
      if (last && key) return doc.keySpan(pair) ?? span;
      node = doc.value(pair);
      span = node >= 0 ? (doc.range(node) ?? span) : (doc.keySpan(pair) ?? span);
    } else if (doc.isSeq(node)) {
      const item = doc.item(node, Number(seg));
      if (item < 0) return span;
      node = doc.value(item);
      span = doc.range(node) ?? span;
    } else return span;
  }
  return span;
}
