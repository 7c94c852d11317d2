/**
 * An open document's text as the server hands it to the compiler: each line followed by spaces of
 * slack, which typing on that line uses up (and deleting gives back), so the text keeps its length.
 *
 * The compiler's trees hold offsets. A keystroke that changes the length of the text moves every
 * statement after it, and then all of those are copied, keyed again in every cache and their atoms
 * rebuilt: a keystroke in the middle of a 2,000-line file cost about twice what a replacement of
 * the same length did (bench/lsp.ts). With slack, typing within a line (and breaking or joining
 * lines while the slack lasts) changes nothing after it: the re-parse and re-check stay as local
 * as the edit. A line gets its slack when it is first edited; when that runs out, the indented lines
 * after it lend theirs (only they move: a new rule typed after another costs ~7 ms at that keystroke
 * instead of ~20, in-process), and when they have none to lend it gets more, and that keystroke
 * moves what follows, once.
 *
 * The language ignores white space at the end of a line, so the compiler's findings are those of
 * the document itself, with positions read through `lines()`: a position in the slack is the end
 * of the line's content (test/lsp/slack.test.ts compares every feature with and without slack).
 * Slack goes before a line's terminator, never between the \r and \n of one.
 */
import { commonPrefix, commonSuffix, MAX_SOURCE_CHARS, type LineIndex } from "../language/index.js";

/** Spaces each line gets when the document is opened: typing a few characters on any line moves nothing. */
export const OPEN_SLACK = 16;
/** Spaces a line gets when its slack runs out (or when it is first edited, without slack at the start). */
export const SLACK = 64;
/** A line keeps at most this much slack (joining many lines would give one line all of theirs). */
const MAX_SLACK = 4 * SLACK;
/** Lines after an edit that may lend it their slack, and what each keeps (see update()). */
const MAX_LENDERS = 8;
const LENDER_KEEPS = 4;

interface Line {
  readonly content: string;
  /** "\n", "\r\n", "\r", or "" for the last line of the text split. */
  readonly terminator: string;
}

/** The lines of a text, terminators as LineIndex recognises them. */
function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    const crlf = c === 13 && text.charCodeAt(i + 1) === 10;
    out.push({ content: text.slice(start, i), terminator: crlf ? "\r\n" : text[i]! });
    if (crlf) i++;
    start = i + 1;
  }
  out.push({ content: text.slice(start), terminator: "" });
  return out;
}

/**
 * Whether a text (of at least `lines` lines) may carry slack: with the most slack every line
 * can get, the compiler must still take it (a file it would refuse as too large while open in the
 * editor would be a different file there than on the command line).
 */
export function slackFits(text: string, lines = lineBound(text)): boolean {
  return text.length + lines * MAX_SLACK <= MAX_SOURCE_CHARS;
}

/** At least the number of lines of a text (a \r\n counts twice), without splitting it. */
function lineBound(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  for (let i = text.indexOf("\r"); i >= 0; i = text.indexOf("\r", i + 1)) n++;
  return n;
}

/** Replaces `count` entries of `xs` from `at` with `items`, in place when as many. */
function replaceRange(xs: number[], at: number, count: number, items: readonly number[]): void {
  if (items.length === count) {
    for (let i = 0; i < count; i++) xs[at + i] = items[i]!;
    return;
  }
  // (Not splice: its arguments are limited in number, and a paste may have more lines.)
  const tail = xs.slice(at + count);
  xs.length = at;
  for (const x of items) xs.push(x);
  for (const x of tail) xs.push(x);
}

export class SlackText {
  private realText: string;
  private paddedText: string;
  /** Per line: where it starts in the document, and in the padded text. */
  private readonly realStarts: number[];
  private readonly paddedStarts: number[];
  /** Per line: its content's length (without terminator), and its slack. Replaced, never changed in place: an index made for one text keeps them. */
  private lengths: readonly number[];
  private readonly slack: number[];
  private index: { readonly of: LineIndex; readonly lengths: readonly number[]; readonly view: LineIndex } | undefined;

  /** `slack`: the spaces each line starts with. */
  constructor(text: string, slack = OPEN_SLACK) {
    this.realText = text;
    this.realStarts = [];
    this.paddedStarts = [];
    const lengths: number[] = [];
    const padded: string[] = [];
    const pad = " ".repeat(slack);
    let at = 0;
    let p = 0;
    for (const l of splitLines(text)) {
      this.realStarts.push(at);
      this.paddedStarts.push(p);
      lengths.push(l.content.length);
      padded.push(l.content, pad, l.terminator);
      at += l.content.length + l.terminator.length;
      p += l.content.length + slack + l.terminator.length;
    }
    this.paddedText = slack === 0 ? text : padded.join("");
    this.lengths = lengths;
    this.slack = lengths.map(() => slack);
  }

  get lineCount(): number {
    return this.lengths.length;
  }

  /** The document's text. */
  get text(): string {
    return this.realText;
  }

  /** The text with slack, for the compiler. */
  get padded(): string {
    return this.paddedText;
  }

  /**
   * The compiler's index of the padded text, reading positions as in the document; undefined if
   * `index` is not of the current padded text.
   */
  lines(index: LineIndex): LineIndex | undefined {
    if (index.text !== this.paddedText) return undefined;
    // (White space typed at the end of a line changes the lengths, not the padded text.)
    if (this.index?.of !== index || this.index.lengths !== this.lengths) this.index = { of: index, lengths: this.lengths, view: index.withLineLengths(this.lengths) };
    return this.index.view;
  }

  /** The line holding an offset of the document (a terminator belongs to its line). */
  private lineOf(offset: number): number {
    const starts = this.realStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The document's text is now `next`. */
  update(next: string): void {
    const real = this.realText;
    if (next === real) return;
    const max = Math.min(real.length, next.length);
    const prefix = commonPrefix(real, next, max);
    const oldEnd = real.length - commonSuffix(real, next, max - prefix);
    const delta = next.length - real.length;
    // The lines the edit touches, as a block from the start of the first to the end of the last
    // one's content: its terminator, and everything after it, stays as it was.
    let first = this.lineOf(prefix);
    let last = this.lineOf(oldEnd);
    const lastLine = this.realStarts.length - 1;
    const contentEnd = (l: number) => this.realStarts[l]! + this.lengths[l]!;
    // An edit reaching into a terminator takes the next line too; so does one leaving a \r just
    // before the \n that follows the block (slack would go between them).
    while (last < lastLine && (oldEnd > contentEnd(last) || next.charCodeAt(contentEnd(last) + delta - 1) === 13)) last++;
    // An edit at the start of a line may as well be at the end of the one before (a new line
    // typed after a line's content reads as one typed before the next line's): both lines' slack is shared.
    if (first > 0 && prefix === this.realStarts[first]) first--;
    // Likewise a \n just after a \r that ends the line before.
    while (first > 0 && next.charCodeAt(this.realStarts[first]!) === 10 && next.charCodeAt(this.realStarts[first]! - 1) === 13) first--;
    const blockStart = this.realStarts[first]!;
    const paddedStart = this.paddedStarts[first]!;
    /** The block's lines up to `end`; the last `lent.length` of them, which the edit left as they were, lending that much of their slack. */
    const share = (end: number, lent: readonly number[]) => {
      const lines = splitLines(next.slice(blockStart, contentEnd(end) + delta));
      const paddedEnd = this.paddedStarts[end]! + this.lengths[end]! + this.slack[end]!;
      let realLength = 0;
      for (const l of lines) realLength += l.content.length + l.terminator.length;
      // Lines at the end of the block that the edit left as they were keep their slack, so they do
      // not move either (a new line typed after a line's content leaves the next line in place).
      const k = lines.length;
      const kept: number[] = [];
      while (kept.length < k - 1 && end - kept.length > first) {
        const o = end - kept.length;
        const n = lines[k - 1 - kept.length]!;
        const e = this.realStarts[o]! + this.lengths[o]!;
        if (n.content !== real.slice(this.realStarts[o], e) || n.terminator !== (o === end ? "" : real.slice(e, this.realStarts[o + 1]))) break;
        kept.unshift(this.slack[o]!);
      }
      if (kept.length < lent.length) return undefined;
      lent.forEach((x, i) => (kept[kept.length - lent.length + i]! -= x));
      // The slack the block had, less what the edit added, shared among its other lines.
      const m = k - kept.length;
      const room = paddedEnd - paddedStart - realLength - kept.reduce((a, b) => a + b, 0);
      return { end, lines, paddedEnd, kept, m, room, fits: room >= 0 && room <= MAX_SLACK * m };
    };
    let plan = share(last, [])!;
    // Typing past the slack: the indented lines after the block (statements and comments of the
    // same tenant block, as ztc fmt lays them out) lend theirs, so the text after them stays where
    // it is and only they move (the compiler re-reads the few statements between; lsp/slack.ts's
    // header says why moving everything after costs). A line at column 0 (the block's closing
    // brace) ends the search: slack taken beyond it would make the change cross the block.
    if (plan.room < 0) {
      const lent: number[] = [];
      let more = 0;
      for (let j = last + 1; j <= lastLine && lent.length < MAX_LENDERS && plan.room + more < SLACK; j++) {
        const c = real.charCodeAt(this.realStarts[j]!);
        if (this.lengths[j]! === 0 || (c !== 32 && c !== 9)) break;
        const give = Math.max(0, this.slack[j]! - LENDER_KEEPS);
        lent.push(give);
        more += give;
      }
      const wider = lent.length > 0 && plan.room + more >= 0 ? share(last + lent.length, lent) : undefined;
      if (wider?.fits) plan = wider;
    }
    last = plan.end;
    const { lines, paddedEnd, kept, m, room, fits } = plan;
    const k = lines.length;
    // Otherwise fresh slack for each line (the rest of the text then moves).
    const slackOf = (i: number) => (!fits ? SLACK : i >= m ? kept[i - m]! : Math.floor(room / m) + (i < room % m ? 1 : 0));
    let block = "";
    const starts: number[] = [];
    const pStarts: number[] = [];
    const newLengths: number[] = [];
    const newSlack: number[] = [];
    let r = blockStart;
    let p = paddedStart;
    lines.forEach((l, i) => {
      const s = slackOf(i);
      starts.push(r);
      pStarts.push(p);
      newLengths.push(l.content.length);
      newSlack.push(s);
      block += l.content + " ".repeat(s) + l.terminator;
      r += l.content.length + l.terminator.length;
      p += l.content.length + s + l.terminator.length;
    });
    const paddedDelta = p - paddedEnd;
    // The line tables change in place, the lengths by copy (an index made for the old text keeps
    // them); most edits keep the number of lines, and then nothing else is allocated.
    const count = last - first + 1;
    const lengths = this.lengths.slice();
    replaceRange(this.realStarts, first, count, starts);
    replaceRange(this.paddedStarts, first, count, pStarts);
    replaceRange(this.slack, first, count, newSlack);
    replaceRange(lengths, first, count, newLengths);
    this.lengths = lengths;
    for (let i = first + k; delta !== 0 && i < this.realStarts.length; i++) this.realStarts[i]! += delta;
    for (let i = first + k; paddedDelta !== 0 && i < this.paddedStarts.length; i++) this.paddedStarts[i]! += paddedDelta;
    this.paddedText = this.paddedText.slice(0, paddedStart) + block + this.paddedText.slice(paddedEnd);
    this.realText = next;
  }
}
