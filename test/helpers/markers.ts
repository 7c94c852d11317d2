/**
 * Cursor markers for editor-feature tests: `<|>` marks a position and `<|...|>` a range in one
 * template string. Returns the clean text and the offsets, in order of appearance.
 */
export interface Marked {
  readonly text: string;
  readonly positions: number[];
  readonly ranges: { start: number; end: number }[];
}

export function extractMarkers(template: string): Marked {
  let text = "";
  const positions: number[] = [];
  const ranges: { start: number; end: number }[] = [];
  const open: number[] = [];
  for (let i = 0; i < template.length; ) {
    if (template.startsWith("<|>", i)) {
      positions.push(text.length);
      i += 3;
    } else if (template.startsWith("<|", i)) {
      open.push(text.length);
      i += 2;
    } else if (template.startsWith("|>", i) && open.length > 0) {
      ranges.push({ start: open.pop()!, end: text.length });
      i += 2;
    } else text += template[i++];
  }
  return { text, positions, ranges };
}
