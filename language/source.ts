/**
 * Source text, spans and the one offset <-> line/column converter used by every consumer
 * (CLI renderer, language server, golden tests). Offsets are UTF-16 code units, as in JS
 * strings and the LSP default encoding, so no consumer has to convert twice.
 */

/**
 * Is `offset` the first non-blank character of its line (a byte order mark counts as blank)?
 * `atStart`: whether the start of `text` is the start of a line (not for a slice from inside one).
 */
export function startsLine(text: string, offset: number, atStart = true): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
    if (c !== 32 && c !== 9 && c !== 0xfeff) return false;
  }
  return atStart;
}

/** A half-open range [start, end) of UTF-16 offsets into one file's text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A zero-based line and UTF-16 character position. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

export function span(start: number, end: number): Span {
  return { start, end: Math.max(start, end) };
}

/*
 * Spans are immutable values and nothing compares them by identity, so equal spans can be one
 * object. Trees hold about 300 spans per thousand characters, and most are short, near the start
 * of a file: across a workspace of many files the same (start, end) pairs come back again and
 * again (1,100 files: 344,000 spans, 19,000 distinct pairs), and each costs 40 bytes. A
 * direct-mapped cache of recent spans shares them; it is bounded (a miss replaces the slot), so
 * offsets seen once do not accumulate, and looking a span up costs about what allocating it does.
 * 16K slots share as much as 32K in that workspace, and pin at most 0.65 MB of spans no tree uses
 * any more (what 200 edits of a 2,000-line file leave in it).
 */
const SPAN_CACHE_BITS = 14;
const spanCache: (Span | undefined)[] = new Array<Span | undefined>(1 << SPAN_CACHE_BITS).fill(undefined);

/** The span [start, end) (small integers), shared with any equal span made recently. */
export function sharedSpan(start: number, end: number): Span {
  const i = (Math.imul(start, 0x9e3779b1) + Math.imul(end, 0x85ebca6b)) >>> (32 - SPAN_CACHE_BITS);
  const cached = spanCache[i];
  if (cached !== undefined && cached.start === start && cached.end === end) return cached;
  const made: Span = { start, end };
  spanCache[i] = made;
  return made;
}

/** The smallest span covering both. */
export function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

export function contains(outer: Span, offset: number): boolean {
  return offset >= outer.start && offset <= outer.end;
}

/**
 * Maps offsets to line/column and back. Recognises \n, \r\n and a lone \r as line ends.
 *
 * An index made by `withLineLengths` is for a text that carries slack: white space after each
 * line's content that the document it stands for does not have (the language server's open
 * documents, lsp/slack.ts). Its positions never go past a line's content, and positions past it
 * map to the content's end, so a span reaching into the slack reads as it would in the document.
 */
export class LineIndex {
  private readonly starts: number[];
  /** Each line's length in the document, when the text carries slack; otherwise undefined. */
  private readonly lengths: readonly number[] | undefined;

  constructor(readonly text: string) {
    const starts = [0];
    // Without carriage returns, the native search is several times faster than reading each
    // character (an editor's texts are concatenations, slow to read a character at a time).
    if (!text.includes("\r")) {
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
      // A copy without the room pushing leaves (up to half again, and sixteen more): a program
      // keeps an index for each of a workspace's thousand files.
      this.starts = starts.slice();
      this.lengths = undefined;
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) starts.push(i + 1);
      else if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.starts = starts.slice();
    this.lengths = undefined;
  }

  /** This index for the same text, read as a document whose lines are `lengths` long (at most each line's length here). */
  withLineLengths(lengths: readonly number[]): LineIndex {
    const view = Object.create(LineIndex.prototype) as { -readonly [K in "text" | "starts" | "lengths"]: unknown };
    view.text = this.text;
    view.starts = this.starts;
    view.lengths = lengths;
    return view as unknown as LineIndex;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    const character = o - this.starts[lo]!;
    const length = this.lengths?.[lo];
    return { line: lo, character: length !== undefined && character > length ? length : character };
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.text.length;
    const start = this.starts[pos.line]!;
    const end = this.lineEnd(pos.line);
    return Math.max(start, Math.min(start + Math.max(0, pos.character), end));
  }

  /** Offset of the first character of a zero-based line. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))]!;
  }

  /** Offset just before the line terminator of a zero-based line (of its content, with slack). */
  lineEnd(line: number): number {
    const length = this.lengths?.[Math.max(0, Math.min(line, this.starts.length - 1))];
    if (length !== undefined) return this.lineStart(line) + length;
    const t = this.text;
    let i = this.lineStart(line);
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 10 || c === 13) break;
      i++;
    }
    return i;
  }

  /** The text of a zero-based line without its terminator. */
  line(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }
}

/*
 * Texts an editor builds from edits are concatenations that V8 reads a character at a time slowly
 * (100 KB took most of a millisecond); comparing slices of a block at a time first is much faster.
 */
const BLOCK = 512;

/** Length of the common prefix, at most `max`. */
export function commonPrefix(a: string, b: string, max: number): number {
  let i = 0;
  while (i + BLOCK <= max && a.slice(i, i + BLOCK) === b.slice(i, i + BLOCK)) i += BLOCK;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Length of the common suffix, at most `max`. */
export function commonSuffix(a: string, b: string, max: number): number {
  let n = 0;
  while (n + BLOCK <= max && a.slice(a.length - n - BLOCK, a.length - n) === b.slice(b.length - n - BLOCK, b.length - n)) n += BLOCK;
  while (n < max && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}
