/**
 * YAML 1.2 loading that refuses duplicate keys and alias bombs and maps a JSON path (as ajv reports
 * it) back to the span of the YAML node.
 *
 * Two parsers, each for what it does best: js-yaml reads the value (an order of magnitude faster,
 * which matters for registries with thousands of entries) and, when a diagnostic or a fix first
 * needs them, the positions of the YAML registries are written in (from its node events); `yaml`
 * parses the positions of anything else, and reads anything js-yaml refuses or that uses anchors,
 * so every error gets `yaml`'s precise location and its alias-expansion limit.
 */
import jsyaml from "js-yaml";
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { diag, type Diagnostic } from "../language/index.js";
import type { Span } from "../language/index.js";
import { derivedValue, type DerivedCache } from "./host.js";

/**
 * The kind of the values loadYaml keeps in a host's cache: bump it when what js-yaml is asked to
 * read changes (its schema, its options), so that values read the old way are not found.
 */
const YAML_VALUE = "yaml-value-1";

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
 * A node of a YAML document as YamlPositions takes it in, from either parser: its kind, its range
 * (`yaml`'s range[0] and range[1]: the node's start and the end of its value), and its items (a
 * sequence) or pairs (a mapping, with the key's range and text when the key is a scalar).
 */
interface PlainNode {
  readonly kind: NodeKind;
  readonly start: number;
  readonly end: number;
  /** A scalar's value as text (what a key is compared with). */
  readonly value?: string;
  /** A block collection: it ends with its last line's line break. */
  readonly block?: boolean;
  readonly items?: readonly (PlainNode | null)[];
  readonly pairs?: readonly { readonly keyStart: number; readonly keyEnd: number; readonly key: string | undefined; readonly value: PlainNode | null }[];
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

  constructor(top: PlainNode | null) {
    const nodes: number[] = [];
    const entries: number[] = [];
    const keys: (string | undefined)[] = [];
    // Mapping keys repeat in every entry of a registry ("id", "ports"): one string each.
    const interned = new Map<string, string>();
    const add = (n: PlainNode | null): number => {
      if (n === null) return -1;
      const id = nodes.length / 5;
      const size = n.pairs?.length ?? n.items?.length ?? 0;
      nodes.push(n.kind, n.start, n.end, entries.length / 3, size);
      // An entry's slots first, then its value's subtree: a node's entries stay contiguous.
      const first = entries.length;
      for (let i = 0; i < size; i++) entries.push(-1, -1, -1), keys.push(undefined);
      n.items?.forEach((item, i) => (entries[first + i * 3 + 2] = add(item)));
      n.pairs?.forEach((pair, i) => {
        const at = first + i * 3;
        if (pair.key !== undefined) keys[at / 3] = interned.get(pair.key) ?? (interned.set(pair.key, pair.key), pair.key);
        entries[at] = pair.keyStart;
        entries[at + 1] = pair.keyEnd;
        entries[at + 2] = add(pair.value);
      });
      return id;
    };
    this.root = add(top);
    this.nodes = Int32Array.from(nodes);
    this.entries = Int32Array.from(entries);
    this.keys = keys.slice();
  }

  /** From `yaml`'s document: any YAML it parses. */
  static fromDocument(doc: Document.Parsed): YamlPositions {
    const plain = (n: unknown): PlainNode | null => {
      if (n === null || n === undefined) return null;
      const range = (n as { range?: [number, number, number] }).range;
      const at = { start: range?.[0] ?? -1, end: range?.[1] ?? -1 };
      if (isSeq(n)) return { kind: n.flow ? NodeKind.FlowSeq : NodeKind.Seq, ...at, items: n.items.map(plain) };
      if (!isMap(n)) return { kind: NodeKind.Other, ...at };
      const pairs = n.items.map((item) => {
        if (!isPair(item)) return { keyStart: -1, keyEnd: -1, key: undefined, value: null };
        const key = item.key as { range?: [number, number, number] } | null;
        return { keyStart: key?.range?.[0] ?? -1, keyEnd: key?.range?.[1] ?? -1, key: isScalar(item.key) ? String(item.key.value) : undefined, value: plain(item.value) };
      });
      return { kind: NodeKind.Map, ...at, pairs };
    };
    return new YamlPositions(plain(doc.contents));
  }

  /**
   * From js-yaml's node events, twenty times faster than `yaml` (a 2,000-approval registry: ~15
   * against ~300 ms). For the YAML registries are written in: block and flow collections, plain
   * and quoted scalars, scalar keys, comments. Anything else (empty values, block scalars, tags,
   * anchors, complex keys, several documents) gives undefined: `yaml` reads it instead.
   */
  static fromEvents(text: string): YamlPositions | undefined {
    // js-yaml drops a byte order mark, which would shift every position.
    if (text.charCodeAt(0) === 0xfeff) return undefined;
    type Open = { readonly at: number; readonly children: PlainNode[] };
    const stack: Open[] = [];
    const top: PlainNode[] = [];
    const unsupported = new Error("unsupported");
    // Where a node's content starts: its open event comes before the whitespace and comments
    // the parser skips to reach it.
    const contentStart = (at: number): number => {
      for (;;) {
        const c = text.charCodeAt(at);
        if (isSpace(c)) at++;
        else if (c === 0x23 && (at === 0 || isSpace(text.charCodeAt(at - 1)))) {
          const eol = text.indexOf("\n", at);
          at = eol < 0 ? text.length : eol;
        } else return at;
      }
    };
    const lineEnd = (at: number): number => {
      const eol = text.indexOf("\n", at);
      return eol < 0 ? text.length : eol + 1;
    };
    // js-yaml reads the text with a line break added at its end when it has none.
    const trimEnd = (start: number, end: number): number => {
      end = Math.min(end, text.length);
      while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
      return end;
    };
    const listener = (event: "open" | "close", state: { position: number; kind: string | null; result: unknown }): void => {
      if (event === "open") {
        stack.push({ at: state.position, children: [] });
        return;
      }
      const open = stack.pop()!;
      const children = open.children;
      const parent = stack.length > 0 ? stack[stack.length - 1]!.children : top;
      const start = contentStart(open.at);
      const first = text[start];
      // A plain scalar or flow collection in a block collection is first read as a mapping's
      // possible key: that attempt closes inside it, as the same node, which it then is.
      const only = children.length === 1 ? children[0] : undefined;
      if (only && only.start === start && !only.block && (state.kind === "scalar") === (only.kind === NodeKind.Other)) {
        parent.push(only);
        return;
      }
      if (state.kind === null || first === "!" || first === "&" || first === "*" || first === "?") throw unsupported;
      let node: PlainNode;
      if (state.kind === "scalar") {
        if (children.length > 0 || first === "|" || first === ">") throw unsupported;
        node = { kind: NodeKind.Other, start, end: trimEnd(start, state.position), value: String(state.result) };
      } else {
        const flow = first === "[" || first === "{";
        const last = children[children.length - 1];
        // A block collection ends with its last line, comment and line break included (as in
        // `yaml`), which is where a nested block collection already ends.
        const end = flow ? trimEnd(start, state.position) : !last ? -1 : last.block ? last.end : lineEnd(last.end);
        if (end < 0) throw unsupported;
        if (state.kind === "sequence") {
          if (!Array.isArray(state.result) || state.result.length !== children.length) throw unsupported;
          node = { kind: flow ? NodeKind.FlowSeq : NodeKind.Seq, start, end, items: children, block: !flow };
        } else if (state.kind === "mapping") {
          if (children.length % 2 === 1) throw unsupported;
          const pairs = [];
          for (let i = 0; i < children.length; i += 2) {
            const key = children[i]!;
            if (key.kind !== NodeKind.Other) throw unsupported;
            pairs.push({ keyStart: key.start, keyEnd: key.end, key: key.value, value: children[i + 1]! });
          }
          node = { kind: NodeKind.Map, start, end, pairs, block: !flow };
        } else throw unsupported;
      }
      parent.push(node);
    };
    try {
      jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, listener: listener as (event: "open" | "close", state: jsyaml.State) => void });
    } catch {
      return undefined;
    }
    if (top.length !== 1) return undefined;
    return new YamlPositions(top[0]!);
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

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Node kinds in YamlPositions. */
const NodeKind = { Other: 0, Map: 1, Seq: 2, FlowSeq: 3 } as const;
type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

function parseWithPositions(text: string): Document.Parsed | undefined {
  try {
    return parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: "1.2" });
  } catch {
    return undefined;
  }
}

/**
 * Texts from this size on have their value kept in the host's cache (a registry with a thousand
 * tenants: js-yaml ~30 ms, its approvals ~60 ms at the start of a language server; reading the
 * value back ~2 ms). A small file reads faster than its cache.
 */
const CACHED_FROM_BYTES = 32 * 1024;

export function loadYaml(text: string, file: string, cache?: DerivedCache): LoadedYaml {
  if (!ANCHOR.test(text)) {
    try {
      // Only what js-yaml reads without complaint is kept: anything else takes the slow path every time.
      const value = derivedValue(text.length >= CACHED_FROM_BYTES ? cache : undefined, YAML_VALUE, file, text, () => jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file }) ?? null);
      let known: YamlPositions | undefined | null = null;
      const positions = () => (known === null ? (known = YamlPositions.fromEvents(text) ?? positionsOf(parseWithPositions(text))) : known);
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
      return { source, value };
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
  return doc && YamlPositions.fromDocument(doc);
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
