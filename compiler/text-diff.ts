/** A line diff (Myers' O(ND) algorithm) rendered as unified hunks, for readable YAML changes. */

type Op = { kind: " " | "-" | "+"; line: string };

export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(new Map(v));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v.get(k - 1) ?? 0) < (v.get(k + 1) ?? 0)) ? (v.get(k + 1) ?? 0) : (v.get(k - 1) ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v.set(k, x);
      if (x >= n && y >= m) break outer;
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && (vd.get(k - 1) ?? 0) < (vd.get(k + 1) ?? 0)) ? k + 1 : k - 1;
    const prevX = vd.get(prevK) ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: " ", line: a[--x]! }), y--;
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "+", line: b[--y]! });
      else ops.push({ kind: "-", line: a[--x]! });
    }
  }
  return ops.reverse();
}

/** Unified-diff hunks (without file headers), `context` lines around each change. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const lines = (t: string) => (t === "" ? [] : t.replace(/\n$/, "").split("\n"));
  const a = lines(before);
  const b = lines(after);
  const ops = diffLines(a, b);
  const changed = ops.map((o, i) => (o.kind === " " ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return "";
  const out: string[] = [];
  let i = 0;
  while (i < changed.length) {
    let start = Math.max(0, changed[i]! - context);
    let end = Math.min(ops.length, changed[i]! + context + 1);
    while (i + 1 < changed.length && changed[i + 1]! - context <= end) end = Math.min(ops.length, changed[++i]! + context + 1);
    i++;
    let la = 1;
    let lb = 1;
    for (let j = 0; j < start; j++) {
      if (ops[j]!.kind !== "+") la++;
      if (ops[j]!.kind !== "-") lb++;
    }
    const slice = ops.slice(start, end);
    const ca = slice.filter((o) => o.kind !== "+").length;
    const cb = slice.filter((o) => o.kind !== "-").length;
    // GNU diff's ranges: "l" for one line, "l-1,0" for none.
    const range = (l: number, c: number) => (c === 1 ? `${l}` : c === 0 ? `${l - 1},0` : `${l},${c}`);
    out.push(`@@ -${range(la, ca)} +${range(lb, cb)} @@`, ...slice.map((o) => o.kind + o.line));
    start = end;
  }
  return out.join("\n") + "\n";
}
