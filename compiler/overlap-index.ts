/**
 * Candidate containers for the overlap analysis. Comparing every rule of a tenant with every other
 * is quadratic: 1,500 rules in one file cost 150 ms per check, too slow to re-check as the user
 * types. Atoms are bucketed by what any rule containing them must have in common with them (the
 * kind and key of the peer, and the subject's namespace or first label), so each atom is compared
 * only with the few atoms that could contain it. The buckets only prune: the caller still decides
 * with the exact containment test, and gets the candidates in list order, so results do not change.
 *
 * Invariant (tested): if a contains b (analysis.ts atomContains), a is among candidates(b).
 */
import type { Atom, Peer, Subject } from "./ir.js";

/** Peer keys an atom is filed under when it may contain others. */
function peerKeys(p: Peer): string[] {
  switch (p.kind) {
    case "fqdn":
      return [p.pattern.isPattern || p.pattern.all ? "fqdn*" : `fqdn:${p.pattern.text}`];
    case "cidr": {
      const bits = p.prefix.family === 4 ? 8 : 16;
      return [p.prefix.len >= bits ? `cidr${p.prefix.family}:${p.prefix.addr >> BigInt((p.prefix.family === 4 ? 32 : 128) - bits)}` : `cidr${p.prefix.family}*`];
    }
    case "entity":
      return ["entity"];
    case "pods":
      // Only `namespace *` and `namespace where` contain pods whose namespaces they do not list.
      if (p.pods.anyNamespace) return ["pods-any"];
      if (p.pods.namespaceSelector) return ["pods-where"];
      // Containers hold every namespace of what they contain; pods-plain serves atoms without namespaces.
      return [...p.pods.namespaces.map((n) => `pods:${n}`), "pods-plain"];
    case "within":
      return ["within"];
    case "service":
      return [`svc:${p.namespace}/${p.name}`];
    case "cidrGroup":
      return [`group:${p.name}`];
    case "nodes":
      return ["nodes"];
  }
}

/** Peer keys under which the containers of an atom with this peer are filed. */
function peerQuery(p: Peer): string[] {
  switch (p.kind) {
    case "fqdn":
      return p.pattern.isPattern || p.pattern.all ? ["fqdn*", "entity"] : [`fqdn:${p.pattern.text}`, "fqdn*", "entity"];
    case "cidr": {
      const own = peerKeys(p)[0]!;
      return own.endsWith("*") ? [own, "entity"] : [own, `cidr${p.prefix.family}*`, "entity"];
    }
    case "entity":
      return ["entity"];
    case "pods": {
      const wide = ["pods-any", "pods-where", "entity"];
      if (p.pods.anyNamespace || p.pods.namespaceSelector) return wide;
      return [p.pods.namespaces.length > 0 ? `pods:${p.pods.namespaces[0]}` : "pods-plain", ...wide];
    }
    case "within":
      return ["within", "entity"];
    case "service":
      return [`svc:${p.namespace}/${p.name}`, "entity"];
    case "cidrGroup":
      return [`group:${p.name}`, "entity"];
    case "nodes":
      return ["nodes", "entity"];
  }
}

function subjectKey(s: Subject): string {
  if (s.kind === "all") return "all";
  if (s.kind === "namespace") return `ns:${s.namespace}`;
  const first = Object.entries(s.workload.selector.matchLabels)[0];
  return first ? `wl:${first[0]}=${first[1]}` : "wl*";
}

function subjectQuery(s: Subject): string[] {
  if (s.kind === "all") return ["all"];
  if (s.kind === "namespace") return ["all", `ns:${s.namespace}`];
  const keys = ["all", "wl*", ...Object.entries(s.workload.selector.matchLabels).map(([k, v]) => `wl:${k}=${v}`)];
  if (s.workload.pinned) keys.push(`ns:${s.workload.pinned}`);
  return keys;
}

/*
 * The keys are functions of immutable values: a peer object (an edit's next check replays cached
 * rules with the same peers) and a workload (one per tenant and check). Computed once for each.
 * Tens of thousands of peers have only a few thousand distinct key lists: equal lists are shared
 * (one pair per distinct list, looked up by its text), so the cache costs one table entry a peer.
 */
interface PeerIndexKeys {
  readonly keys: readonly string[];
  readonly query: readonly string[];
}
const peerKeysOf = new WeakMap<Peer, PeerIndexKeys>();
const sharedPeerKeys = new Map<string, PeerIndexKeys>();
const workloadKeys = new WeakMap<object, { readonly key: string; readonly query: readonly string[] }>();

function peerIndexKeys(p: Peer): PeerIndexKeys {
  let e = peerKeysOf.get(p);
  if (!e) {
    const keys = peerKeys(p);
    const query = peerQuery(p);
    const text = `${keys.join("\u0000")}\u0001${query.join("\u0000")}`;
    e = sharedPeerKeys.get(text);
    if (!e) {
      e = { keys, query };
      // Bounded like the other process-wide interning tables: past it, pairs are simply not shared.
      if (sharedPeerKeys.size < 50_000) sharedPeerKeys.set(text, e);
    }
    peerKeysOf.set(p, e);
  }
  return e;
}

function cachedPeerKeys(p: Peer): readonly string[] {
  return peerIndexKeys(p).keys;
}

function cachedPeerQuery(p: Peer): readonly string[] {
  return peerIndexKeys(p).query;
}

function workloadEntry(s: Subject & { kind: "workload" }): { readonly key: string; readonly query: readonly string[] } {
  let e = workloadKeys.get(s.workload);
  if (!e) workloadKeys.set(s.workload, (e = { key: subjectKey(s), query: subjectQuery(s) }));
  return e;
}

const ALL_QUERY: readonly string[] = ["all"];

function cachedSubjectKey(s: Subject): string {
  return s.kind === "workload" ? workloadEntry(s).key : subjectKey(s);
}

function cachedSubjectQuery(s: Subject): readonly string[] {
  return s.kind === "workload" ? workloadEntry(s).query : s.kind === "all" ? ALL_QUERY : subjectQuery(s);
}

/**
 * A cheap test that `a` cannot cover `b`'s ports: both have one port, no range, and the numbers
 * differ (whatever the protocols). Most rules have one port; this spares the exact set test.
 */
function portsDiffer(a: Atom, b: Atom): boolean {
  const pa = a.ports;
  const pb = b.ports;
  if (!pa || !pb || pa.length !== 1 || pb.length !== 1) return false;
  const x = pa[0]!;
  const y = pb[0]!;
  return x.end === undefined && y.end === undefined && typeof x.port === "number" && typeof y.port === "number" && x.port !== y.port;
}

/** Whether `a` is filed where candidates(b) looks (so it is among them unless portsDiffer). */
function filedFor(a: Atom, b: Atom): boolean {
  const query = cachedPeerQuery(b.peer);
  return cachedPeerKeys(a.peer).some((k) => query.includes(k)) && cachedSubjectQuery(b.subject).includes(cachedSubjectKey(a.subject));
}

/** Whether `a` is, or would be, among the candidates of `b` in a list holding both. */
export function mayContain(a: Atom, b: Atom): boolean {
  return a !== b && filedFor(a, b) && !portsDiffer(a, b);
}

/** The candidates of `b` in `list` without an index (for a few atoms): what candidates(b) gives. */
export function scanCandidates(list: readonly Atom[], b: Atom): Atom[] {
  return list.filter((a) => mayContain(a, b));
}

export interface ContainerIndex {
  /** The atoms of the list other than `b` that may contain it, in list order. */
  candidates(b: Atom): Atom[];
}

export function containerIndex(list: readonly Atom[]): ContainerIndex {
  // peer key -> subject key -> positions in the list, ascending.
  const buckets = new Map<string, Map<string, number[]>>();
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const s = cachedSubjectKey(a.subject);
    for (const p of cachedPeerKeys(a.peer)) {
      let bySubject = buckets.get(p);
      if (!bySubject) buckets.set(p, (bySubject = new Map()));
      const bucket = bySubject.get(s);
      if (bucket) bucket.push(i);
      else bySubject.set(s, [i]);
    }
  }
  return {
    candidates(b) {
      let first: number[] | undefined;
      let found: number[][] | undefined;
      let subjects: readonly string[] | undefined;
      for (const p of cachedPeerQuery(b.peer)) {
        const bySubject = buckets.get(p);
        if (!bySubject) continue;
        subjects ??= cachedSubjectQuery(b.subject);
        for (const s of subjects) {
          const bucket = bySubject.get(s);
          if (!bucket) continue;
          if (!first) first = bucket;
          else (found ??= [first]).push(bucket);
        }
      }
      if (!first) return [];
      const hits = found ? found.flat().sort((x, y) => x - y) : first;
      const out: Atom[] = [];
      let last = -1;
      for (const i of hits)
        if (i !== last) {
          last = i;
          const a = list[i]!;
          if (a !== b && !portsDiffer(a, b)) out.push(a);
        }
      return out;
    },
  };
}
