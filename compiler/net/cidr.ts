/**
 * IP prefixes and address sets. Containment is decided on the addresses a rule really covers
 * (a union of intervals), never on spelling: 0.0.0.0/1 + 128.0.0.0/1 is all of IPv4.
 */

import { memoByText } from "../memo.js";

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** Network address as an unsigned integer. */
  readonly addr: bigint;
  readonly len: number;
}

export type ParseCidrResult =
  | { readonly ok: true; readonly prefix: Prefix }
  | { readonly ok: false; readonly reason: string; readonly suggestion?: string | undefined };

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseIPv4(s: string): bigint | string {
  const parts = s.split(".");
  if (parts.length !== 4) return "an IPv4 address has four numbers separated by dots";
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return `'${p}' is not a number from 0 to 255`;
    if (p.length > 1 && p.startsWith("0")) return `'${p}' has a leading zero, which Kubernetes rejects`;
    const n = Number(p);
    if (n > 255) return `'${p}' is larger than 255`;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | string {
  if (s.includes("%")) return "IPv6 zone identifiers are not allowed";
  let head = s;
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 address (::ffff:10.0.0.1) stands for the last two groups.
    const v4 = parseIPv4(tail);
    if (typeof v4 === "string") return v4;
    head = `${s.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const doubles = head.split("::");
  if (doubles.length > 2) return "'::' may appear only once";
  const parseGroups = (part: string): string[] | string => {
    if (part === "") return [];
    const groups = part.split(":");
    for (const g of groups) if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return `'${g}' is not a group of 1 to 4 hex digits`;
    return groups;
  };
  const left = parseGroups(doubles[0]!);
  if (typeof left === "string") return left;
  const right = doubles.length === 2 ? parseGroups(doubles[1]!) : [];
  if (typeof right === "string") return right;
  let groups: string[];
  if (doubles.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return "too many groups around '::'";
    groups = [...left, ...new Array<string>(missing).fill("0"), ...right];
  } else groups = left;
  if (groups.length !== 8) return "an IPv6 address has eight groups (or '::')";
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

/** Parses an address (v4 or v6) without prefix length. */
export function parseAddress(s: string): { family: Family; addr: bigint } | string {
  if (s.includes(":")) {
    const v = parseIPv6(s);
    return typeof v === "string" ? v : { family: 6, addr: v };
  }
  const v = parseIPv4(s);
  return typeof v === "string" ? v : { family: 4, addr: v };
}

/** Parses `addr/len` with Kubernetes' rules (Go net.ParseCIDR) plus "no host bits set". Results are immutable and shared. */
export const parseCidr: (text: string) => ParseCidrResult = memoByText(parseCidrUncached);

function parseCidrUncached(text: string): ParseCidrResult {
  const slash = text.indexOf("/");
  if (slash < 0) {
    const a = parseAddress(text);
    if (typeof a === "string") return { ok: false, reason: a };
    const full = BITS[a.family];
    return {
      ok: false,
      reason: `a CIDR needs a prefix length; for this single address write /${full}`,
      suggestion: `${formatAddress(a.family, a.addr)}/${full}`,
    };
  }
  const a = parseAddress(text.slice(0, slash));
  if (typeof a === "string") return { ok: false, reason: a };
  const lenText = text.slice(slash + 1);
  const max = BITS[a.family];
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max)
    return { ok: false, reason: `the prefix length must be a number from 0 to ${max}` };
  if (lenText.length > 1 && lenText.startsWith("0")) return { ok: false, reason: "the prefix length has a leading zero" };
  const len = Number(lenText);
  const mask = hostMask(a.family, len);
  if ((a.addr & mask) !== 0n) {
    const network = a.addr & ~mask & allOnes(a.family);
    const fixed = `${formatAddress(a.family, network)}/${len}`;
    return { ok: false, reason: `host bits are set; the network is ${fixed}`, suggestion: fixed };
  }
  return { ok: true, prefix: { family: a.family, addr: a.addr, len } };
}

function allOnes(f: Family): bigint {
  return hostMask(f, 0);
}

/** Every mask of both families, built once: BigInt shifts allocate, and the checks ask millions of times. */
const HOST_MASKS: Record<Family, readonly bigint[]> = {
  4: Array.from({ length: 33 }, (_, len) => (1n << BigInt(32 - len)) - 1n),
  6: Array.from({ length: 129 }, (_, len) => (1n << BigInt(128 - len)) - 1n),
};

function hostMask(f: Family, len: number): bigint {
  return HOST_MASKS[f][len]!;
}

export function formatAddress(family: Family, addr: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 255n)).join(".");
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLen).join(":");
}

/** Prefixes are shared (parseCidr remembers them) and printed for every rule, entry and message. */
const prefixTexts = new WeakMap<Prefix, string>();

export function formatPrefix(p: Prefix): string {
  let text = prefixTexts.get(p);
  if (text === undefined) {
    text = `${formatAddress(p.family, p.addr)}/${p.len}`;
    prefixTexts.set(p, text);
  }
  return text;
}

/** First and last address of a prefix. */
export function prefixRange(p: Prefix): [bigint, bigint] {
  return [p.addr, p.addr | hostMask(p.family, p.len)];
}

export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const [a, b] = prefixRange(outer);
  return inner.addr >= a && inner.addr <= b;
}

export function allAddresses(family: Family): Prefix {
  return { family, addr: 0n, len: 0 };
}

type Interval = readonly [bigint, bigint];

/** A set of addresses of both families as sorted, disjoint, non-adjacent intervals. */
export class AddressSet {
  private constructor(private readonly v4: readonly Interval[], private readonly v6: readonly Interval[]) {}

  static empty(): AddressSet {
    return new AddressSet([], []);
  }

  static of(prefixes: Iterable<Prefix>): AddressSet {
    let s = AddressSet.empty();
    for (const p of prefixes) s = s.union(AddressSet.prefix(p));
    return s;
  }

  static prefix(p: Prefix): AddressSet {
    const r = prefixRange(p);
    return p.family === 4 ? new AddressSet([r], []) : new AddressSet([], [r]);
  }

  /** `cidr` minus its `except` prefixes. */
  static cidrExcept(cidr: Prefix, except: readonly Prefix[]): AddressSet {
    if (except.length === 0) return AddressSet.prefix(cidr);
    return AddressSet.prefix(cidr).minus(AddressSet.of(except));
  }

  static everything(): AddressSet {
    return EVERYTHING;
  }

  isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  union(o: AddressSet): AddressSet {
    return new AddressSet(unionIntervals(this.v4, o.v4), unionIntervals(this.v6, o.v6));
  }

  minus(o: AddressSet): AddressSet {
    return new AddressSet(subtractIntervals(this.v4, o.v4), subtractIntervals(this.v6, o.v6));
  }

  intersects(o: AddressSet): boolean {
    return overlap(this.v4, o.v4) || overlap(this.v6, o.v6);
  }

  /** True if every address of `o` is in this set. */
  containsSet(o: AddressSet): boolean {
    return within(o.v4, this.v4) && within(o.v6, this.v6);
  }

  coversFamily(f: Family): boolean {
    return within([prefixRange(allAddresses(f))], f === 4 ? this.v4 : this.v6);
  }

  /** One address of the set, preferring one inside (not at the edges of) its first range. */
  sample(): { family: Family; addr: bigint } | undefined {
    const pick = (list: readonly Interval[], family: Family) => {
      const r = list[0];
      if (!r) return undefined;
      return { family, addr: r[1] - r[0] >= 2n ? r[0] + 1n : r[0] };
    };
    return pick(this.v4, 4) ?? pick(this.v6, 6);
  }

  /** Does the set contain this single address? */
  has(family: Family, addr: bigint): boolean {
    const list = family === 4 ? this.v4 : this.v6;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = list[mid]!;
      if (addr < a) hi = mid - 1;
      else if (addr > b) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

const EVERYTHING = AddressSet.of([allAddresses(4), allAddresses(6)]);

function unionIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const all = [...a, ...b].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [s, e] of all) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const [s0, e] of a) {
    let s = s0;
    while (j < b.length && b[j]![1] < s) j++;
    let k = j;
    while (k < b.length && b[k]![0] <= e && s <= e) {
      const [bs, be] = b[k]!;
      if (bs > s) out.push([s, bs - 1n]);
      s = be + 1n;
      k++;
    }
    if (s <= e) out.push([s, e]);
  }
  return out;
}

/**
 * Whether every interval of `inner` lies in `outer`, both sorted, disjoint and non-adjacent: a run
 * of consecutive addresses in such a union lies within one of its intervals, the first one that
 * does not end before it.
 */
function within(inner: readonly Interval[], outer: readonly Interval[]): boolean {
  let j = 0;
  for (const [s, e] of inner) {
    while (j < outer.length && outer[j]![1] < s) j++;
    const o = outer[j];
    if (!o || o[0] > s || o[1] < e) return false;
  }
  return true;
}

function overlap(a: readonly Interval[], b: readonly Interval[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [as, ae] = a[i]!;
    const [bs, be] = b[j]!;
    if (ae < bs) i++;
    else if (be < as) j++;
    else return true;
  }
  return false;
}
