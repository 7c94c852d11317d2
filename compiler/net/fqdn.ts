/**
 * Host names and patterns with Cilium's toFQDNs semantics (pkg/fqdn/matchpattern):
 * names are lower-cased and matched whole; a pattern of only `*` matches every name; a leading
 * `**.` matches one or more whole labels; any other `*` matches [-a-z0-9_]* inside one label.
 *
 * Containment and intersection are decided exactly on the sets of valid names (non-empty labels),
 * so `*.stripe.com` is not inside `api.stripe.com` and `**.x.com` is not inside `*.x.com`.
 */

import { memoByText } from "../memo.js";

export interface FqdnPattern {
  /** Canonical text: lower case, no trailing dot, star runs collapsed except a leading `**.`. */
  readonly text: string;
  readonly isPattern: boolean;
  /** Matches every name (`*`, `**`). */
  readonly all: boolean;
  /** Leading `**.`: one or more labels, then `labels`. */
  readonly multi: boolean;
  /** The labels after the `**.` prefix (all labels when not multi). */
  readonly labels: readonly string[];
}

export type ParseFqdnResult = { readonly ok: true; readonly pattern: FqdnPattern } | { readonly ok: false; readonly reason: string };

const NAME_CHARS = /^[-a-z0-9_.*]+$/;

/** Results are immutable and shared: every rule, approval and output check naming a host asks again. */
export const parseFqdn: (raw: string) => ParseFqdnResult = memoByText(parseUncached);

function parseUncached(raw: string): ParseFqdnResult {
  let text = raw.trim().toLowerCase();
  if (text.length === 0) return { ok: false, reason: "it is empty" };
  if (text.length > 255) return { ok: false, reason: "it is longer than 255 characters" };
  if (!NAME_CHARS.test(text)) {
    const bad = [...text].find((c) => !/[-a-z0-9_.*]/.test(c));
    return { ok: false, reason: `'${bad}' is not allowed (letters, digits, '-', '_', '.' and '*' only)` };
  }
  if (/^\*+\.?$/.test(text)) return { ok: true, pattern: { text: "*", isPattern: true, all: true, multi: false, labels: [] } };
  if (text.endsWith(".")) text = text.slice(0, -1);
  let multi = false;
  const m = /^\*{2,}\./.exec(text);
  if (m) {
    multi = true;
    text = text.slice(m[0].length);
  }
  const labels = text.split(".");
  for (const l of labels) {
    if (l.length === 0) return { ok: false, reason: "it has an empty label (two dots in a row, or a leading dot)" };
    if (l.length > 63) return { ok: false, reason: `the label '${l.slice(0, 20)}...' is longer than 63 characters` };
  }
  const collapsed = labels.map((l) => l.replace(/\*+/g, "*"));
  const canonical = (multi ? "**." : "") + collapsed.join(".");
  return {
    ok: true,
    pattern: { text: canonical, isPattern: multi || canonical.includes("*"), all: false, multi, labels: collapsed },
  };
}

/** Does the pattern match this concrete DNS name (trailing dot optional)? */
export function matchesName(p: FqdnPattern, name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n.length === 0) return false;
  const labels = n.split(".");
  if (labels.some((l) => l.length === 0)) return false;
  if (p.all) return true;
  if (p.multi) {
    if (labels.length < p.labels.length + 1) return false;
    const suffix = labels.slice(labels.length - p.labels.length);
    return suffix.every((l, i) => globMatches(p.labels[i]!, l));
  }
  return labels.length === p.labels.length && labels.every((l, i) => globMatches(p.labels[i]!, l));
}

const globCache = new Map<string, RegExp>();

function globMatches(glob: string, label: string): boolean {
  if (!glob.includes("*")) return glob === label;
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp("^" + glob.split("*").map(escapeRe).join("[-a-z0-9_]*") + "$");
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(label);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
}

/** Every name matched by `inner` is matched by `outer`. */
export function fqdnContains(outer: FqdnPattern, inner: FqdnPattern): boolean {
  if (outer.all) return true;
  if (inner.all) return false;
  const o = outer.labels;
  const i = inner.labels;
  if (inner.multi) {
    if (!outer.multi || o.length > i.length) return false;
    return suffixAll(o, i, labelContains);
  }
  if (outer.multi) return i.length >= o.length + 1 && suffixAll(o, i, labelContains);
  return o.length === i.length && o.every((l, k) => labelContains(l, i[k]!));
}

/** Some valid name is matched by both. */
export function fqdnIntersects(a: FqdnPattern, b: FqdnPattern): boolean {
  if (a.all || b.all) return true;
  const x = a.labels;
  const y = b.labels;
  if (a.multi && b.multi) {
    const k = Math.min(x.length, y.length);
    return suffixAll(x.slice(x.length - k), y.slice(y.length - k), labelIntersects);
  }
  if (a.multi) return y.length >= x.length + 1 && suffixAll(x, y, labelIntersects);
  if (b.multi) return x.length >= y.length + 1 && suffixAll(y, x, labelIntersects);
  return x.length === y.length && x.every((l, k) => labelIntersects(l, y[k]!));
}

/** Compares `short` with the last labels of `long`, label by label. */
function suffixAll(short: readonly string[], long: readonly string[], f: (a: string, b: string) => boolean): boolean {
  const off = long.length - short.length;
  return short.every((l, k) => f(l, long[off + k]!));
}

// ---- label globs: a '*' matches any run of [-a-z0-9_]; labels are never empty.

/** NFA states of a glob are positions 0..n; n accepts. The closure skips stars. */
function closure(glob: string, states: Set<number>): Set<number> {
  const out = new Set(states);
  for (const s of states) {
    let k = s;
    while (k < glob.length && glob[k] === "*") out.add(++k);
  }
  return out;
}

function step(glob: string, states: Set<number>, c: string): Set<number> {
  const next = new Set<number>();
  for (const s of states) {
    if (s >= glob.length) continue;
    if (glob[s] === "*") next.add(s);
    else if (glob[s] === c) next.add(s + 1);
  }
  return closure(glob, next);
}

/** The alphabet classes that matter: each literal character, plus one character neither uses. */
function alphabet(a: string, b: string): string[] {
  const chars = new Set([...a, ...b].filter((c) => c !== "*"));
  const universe = "abcdefghijklmnopqrstuvwxyz0123456789-_";
  const other = [...universe].find((c) => !chars.has(c));
  return other ? [...chars, other] : [...chars];
}

const key = (s: Set<number>) => [...s].sort((p, q) => p - q).join(",");
const EXPLORE_LIMIT = 20000;

/** L(inner) \ {""} is a subset of L(outer). Conservative (false) if the search is too large. */
export function labelContains(outer: string, inner: string): boolean {
  if (outer === inner || outer === "*") return true;
  if (!inner.includes("*")) return globMatches(outer, inner);
  const sigma = alphabet(outer, inner);
  const start: [Set<number>, Set<number>, boolean] = [closure(inner, new Set([0])), closure(outer, new Set([0])), false];
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const [si, so, nonEmpty] = queue.pop()!;
    const id = `${key(si)}|${key(so)}|${nonEmpty}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (seen.size > EXPLORE_LIMIT) return false;
    if (nonEmpty && si.has(inner.length) && !so.has(outer.length)) return false;
    for (const c of sigma) {
      const ni = step(inner, si, c);
      if (ni.size === 0) continue;
      queue.push([ni, step(outer, so, c), true]);
    }
  }
  return true;
}

/** Some non-empty label matches both globs. */
export function labelIntersects(a: string, b: string): boolean {
  if (a === b) return true;
  const sigma = alphabet(a, b);
  const seen = new Set<string>();
  const queue: [Set<number>, Set<number>, boolean][] = [[closure(a, new Set([0])), closure(b, new Set([0])), false]];
  while (queue.length > 0) {
    const [sa, sb, nonEmpty] = queue.pop()!;
    const id = `${key(sa)}|${key(sb)}|${nonEmpty}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (seen.size > EXPLORE_LIMIT) return true;
    if (nonEmpty && sa.has(a.length) && sb.has(b.length)) return true;
    for (const c of sigma) {
      const na = step(a, sa, c);
      const nb = step(b, sb, c);
      if (na.size > 0 && nb.size > 0) queue.push([na, nb, true]);
    }
  }
  return false;
}
