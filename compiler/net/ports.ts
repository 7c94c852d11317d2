/**
 * Port sets per L4 protocol. Cilium's ANY (and an omitted protocol) means TCP, UDP and SCTP;
 * a rule without ports means every port of those three.
 */

export type L4Protocol = "TCP" | "UDP" | "SCTP";
export type ProtocolSpec = L4Protocol | "ANY";

export const L4_PROTOCOLS: readonly L4Protocol[] = ["TCP", "UDP", "SCTP"];

export interface PortRange {
  readonly protocol: L4Protocol;
  readonly start: number;
  readonly end: number;
}

type Interval = readonly [number, number];

export class PortSet {
  private constructor(private readonly byProto: ReadonlyMap<L4Protocol, readonly Interval[]>) {}

  /** PortSets are immutable: the common ones are shared rather than built for every rule and entry. */
  static empty(): PortSet {
    return EMPTY;
  }

  static all(): PortSet {
    return (ALL ??= PortSet.of(L4_PROTOCOLS.map((protocol) => ({ protocol, start: 1, end: 65535 }))));
  }

  static of(ranges: Iterable<PortRange>): PortSet {
    const m = new Map<L4Protocol, Interval[]>();
    for (const r of ranges) {
      const list = m.get(r.protocol);
      if (list) list.push([r.start, r.end]);
      else m.set(r.protocol, [[r.start, r.end]]);
    }
    for (const [p, list] of m) if (list.length > 1) m.set(p, normalise(list));
    return new PortSet(m);
  }

  /** Ranges for a spec: ANY expands to the three L4 protocols. */
  static spec(protocol: ProtocolSpec, start: number, end = start): PortSet {
    const key = `${protocol} ${start} ${end}`;
    let set = SPECS.get(key);
    if (!set) {
      const protos = protocol === "ANY" ? L4_PROTOCOLS : [protocol];
      set = PortSet.of(protos.map((p) => ({ protocol: p, start, end })));
      if (SPECS.size > 10_000) SPECS.clear();
      SPECS.set(key, set);
    }
    return set;
  }

  ranges(): PortRange[] {
    const out: PortRange[] = [];
    for (const p of L4_PROTOCOLS) for (const [start, end] of this.byProto.get(p) ?? []) out.push({ protocol: p, start, end });
    return out;
  }

  isEmpty(): boolean {
    for (const l of this.byProto.values()) if (l.length > 0) return false;
    return true;
  }

  isAll(): boolean {
    return L4_PROTOCOLS.every((p) => covers(this.byProto.get(p), 1, 65535));
  }

  union(o: PortSet): PortSet {
    if (o.isEmpty() || this.containsSet(o)) return this;
    if (this.isEmpty() || o.containsSet(this)) return o;
    return PortSet.of([...this.ranges(), ...o.ranges()]);
  }

  intersect(o: PortSet): PortSet {
    const out: PortRange[] = [];
    for (const a of this.ranges())
      for (const b of o.ranges()) {
        if (a.protocol !== b.protocol) continue;
        const start = Math.max(a.start, b.start);
        const end = Math.min(a.end, b.end);
        if (start <= end) out.push({ protocol: a.protocol, start, end });
      }
    return PortSet.of(out);
  }

  intersects(o: PortSet): boolean {
    for (const [p, list] of o.byProto) {
      const mine = this.byProto.get(p);
      if (mine) for (const [s, e] of list) for (const [a, b] of mine) if (a <= e && s <= b) return true;
    }
    return false;
  }

  minus(o: PortSet): PortSet {
    const out: PortRange[] = [];
    for (const a of this.ranges()) {
      let pieces: Interval[] = [[a.start, a.end]];
      for (const b of o.ranges()) {
        if (b.protocol !== a.protocol) continue;
        pieces = pieces.flatMap(([s, e]): Interval[] => {
          if (b.end < s || b.start > e) return [[s, e]];
          const rest: Interval[] = [];
          if (b.start > s) rest.push([s, b.start - 1]);
          if (b.end < e) rest.push([b.end + 1, e]);
          return rest;
        });
      }
      for (const [start, end] of pieces) out.push({ protocol: a.protocol, start, end });
    }
    return PortSet.of(out);
  }

  containsSet(o: PortSet): boolean {
    for (const [p, list] of o.byProto) {
      const mine = this.byProto.get(p);
      for (const [s, e] of list) if (!covers(mine, s, e)) return false;
    }
    return true;
  }

  equals(o: PortSet): boolean {
    return this.containsSet(o) && o.containsSet(this);
  }

  private text: string | undefined;

  /** Compact text: "443/tcp", "53/udp+tcp", "8000-8999/tcp", "all ports". */
  toString(): string {
    return (this.text ??= this.format());
  }

  private format(): string {
    if (this.isAll()) return "all ports";
    const byRange = new Map<string, L4Protocol[]>();
    for (const r of this.ranges()) {
      const k = r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
      byRange.set(k, [...(byRange.get(k) ?? []), r.protocol]);
    }
    return [...byRange.entries()]
      .map(([k, ps]) => (ps.length === 3 ? `${k}/any` : `${k}/${ps.map((p) => p.toLowerCase()).join("+")}`))
      .join(", ");
  }
}

const EMPTY: PortSet = PortSet.of([]);
let ALL: PortSet | undefined;
const SPECS = new Map<string, PortSet>();

/**
 * Whether one interval of a normalised list (sorted, overlapping and adjacent ones merged) holds
 * [s, e]: a run of consecutive ports in the union lies within one of its intervals.
 */
function covers(list: readonly Interval[] | undefined, s: number, e: number): boolean {
  if (list) for (const [a, b] of list) if (a <= s && e <= b) return true;
  return false;
}

function normalise(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** IANA service names as Cilium accepts them for named ports (pkg/iana/svcname.go). */
export function isValidPortName(name: string): boolean {
  return name.length <= 15 && /^[a-z0-9]+(-[a-z0-9]+)*$/i.test(name) && /[a-z]/i.test(name);
}
