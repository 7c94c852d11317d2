/**
 * Analyses across rules: duplicates, rules made redundant by broader ones (including the Cilium
 * merge that neutralises HTTP rules), allows shadowed by denies, CIDR sets that add up to a whole
 * address family, and cross-tenant rules the other tenant does not match.
 */
import { diag, type Diagnostic } from "../language/index.js";
import type { Atom, Peer, PodSet, Subject } from "./ir.js";
import { EMPTY_SELECTOR } from "./ir.js";
import { selectorContains, selectorsOverlap, selectorText } from "./labels.js";
import { AddressSet, formatPrefix } from "./net/cidr.js";
import { fqdnContains, parseFqdn } from "./net/fqdn.js";
import { isResolverDnsRule } from "./emit.js";
import { pushTo, sameItems } from "./collections.js";
import { containerIndex, mayContain, scanCandidates } from "./overlap-index.js";
import type { ProjectConfig } from "./project.js";
import type { TenantRegistry } from "./registry.js";
import { peerText, portsText } from "./resolve.js";

/** The pods a subject selects, as a PodSet. */
export function subjectPods(s: Subject, tenantNamespaces: readonly string[], tenant: string): PodSet {
  if (s.kind === "workload") return { namespaces: s.workload.namespaces, selector: s.workload.selector, tenant, workload: s.workload.name };
  if (s.kind === "namespace") return { namespaces: [s.namespace], selector: EMPTY_SELECTOR, tenant };
  return { namespaces: [...tenantNamespaces], selector: EMPTY_SELECTOR, tenant };
}

function clusterContains(a: PodSet, b: PodSet): boolean {
  return a.cluster === "*" || a.cluster === b.cluster;
}

export function podsContain(a: PodSet, b: PodSet): boolean {
  if (!clusterContains(a, b)) return false;
  if (a.namespaceSelector || b.namespaceSelector) {
    // Namespace labels live in the cluster: only a label selector containing the other is certain.
    if (!a.namespaceSelector || !b.namespaceSelector) return a.anyNamespace === true && selectorContains(a.selector, b.selector);
    return selectorContains(a.namespaceSelector, b.namespaceSelector) && selectorContains(a.selector, b.selector);
  }
  if (b.anyNamespace && !a.anyNamespace) return false;
  return (a.anyNamespace || b.namespaces.every((n) => a.namespaces.includes(n))) && selectorContains(a.selector, b.selector);
}

export function podsOverlap(a: PodSet, b: PodSet): boolean {
  if (!(clusterContains(a, b) || clusterContains(b, a))) return false;
  const ns = a.anyNamespace || b.anyNamespace || a.namespaceSelector !== undefined || b.namespaceSelector !== undefined || a.namespaces.some((n) => b.namespaces.includes(n));
  return ns && selectorsOverlap(a.selector, b.selector);
}

export function subjectContains(a: Subject, b: Subject): boolean {
  if (a.kind === "all") return true;
  if (a.kind === "namespace") {
    if (b.kind === "namespace") return a.namespace === b.namespace;
    return b.kind === "workload" && b.workload.pinned === a.namespace;
  }
  if (b.kind !== "workload") return false;
  return b.workload.namespaces.every((n) => a.workload.namespaces.includes(n)) && selectorContains(a.workload.selector, b.workload.selector);
}

const CLUSTER_ENTITIES = new Set(["host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver", "cluster"]);

export function peerContains(a: Peer, b: Peer): boolean {
  switch (a.kind) {
    case "entity":
      if (a.entity === "all") return true;
      if (b.kind === "entity") return a.entity === b.entity || (a.entity === "cluster" && CLUSTER_ENTITIES.has(b.entity));
      if (a.entity === "world") return b.kind === "fqdn" || b.kind === "cidr";
      if (a.entity === "cluster") return b.kind === "pods" || b.kind === "within" || b.kind === "service";
      return false;
    case "fqdn":
      return b.kind === "fqdn" && fqdnContains(a.pattern, b.pattern);
    case "cidr":
      return b.kind === "cidr" && a.set.containsSet(b.set);
    case "pods":
      return b.kind === "pods" && podsContain(a.pods, b.pods);
    case "within":
      return b.kind === "within";
    case "service":
      return b.kind === "service" && a.namespace === b.namespace && a.name === b.name;
    case "cidrGroup":
      return b.kind === "cidrGroup" && a.name === b.name;
    case "nodes":
      return b.kind === "nodes" && selectorContains(a.selector, b.selector);
  }
}

function icmpContains(a: Atom, b: Atom): boolean {
  if (!a.icmp || !b.icmp) return !a.icmp && !b.icmp;
  return b.icmp.every((x) => a.icmp!.some((y) => y.family === x.family && y.type === x.type));
}

function portsContain(a: Atom, b: Atom): boolean {
  if ((a.dns ?? []).join() !== (b.dns ?? []).join()) return false;
  if (JSON.stringify(a.kafka ?? null) !== JSON.stringify(b.kafka ?? null)) return false;
  if (a.auth !== b.auth) return false;
  if (a.icmp || b.icmp) return icmpContains(a, b);
  if (!a.ports) return true;
  if (!b.ports) return false;
  return a.portSet.containsSet(b.portSet) && b.namedPorts.every((n) => a.namedPorts.includes(n));
}

function httpKeys(a: Atom): string[] {
  return (a.http ?? []).map((h) => `${h.method ?? "*"} ${h.path ?? ""} ${h.host ?? ""} ${h.headers.join("|")}`);
}

/** Everything `b` allows (or denies), `a` does too. */
export function atomContains(a: Atom, b: Atom): boolean {
  if (a.direction !== b.direction || a.tenant !== b.tenant) return false;
  if (!subjectContains(a.subject, b.subject) || !peerContains(a.peer, b.peer) || !portsContain(a, b)) return false;
  if (!a.http) return true;
  if (!b.http) return false;
  // With HTTP rules on both, a allows more only if it lists every request rule b lists.
  const allowed = new Set(httpKeys(a));
  return httpKeys(b).every((k) => allowed.has(k));
}

function locate(a: Atom) {
  return { file: a.origin.file, span: a.peerSpan };
}

function related(a: Atom, message: string) {
  return [{ file: a.origin.file, span: a.origin.span, message }];
}

/** A finding of the overlap analysis, with the key that reports it once (per rule and kind). */
interface Finding {
  readonly id: string;
  readonly diagnostic: Diagnostic;
}

/**
 * The findings of one group (a tenant's or baseline's rules of one direction), per atom: what an
 * edit that replaces a few of its atoms does not touch is kept (see groupOverlaps).
 */
interface GroupState {
  readonly atoms: readonly Atom[];
  /**
   * Per allow: the deny that shadows it. Only atoms with a finding have an entry, here and in
   * `containers`: most have none, and a state is kept for every group of the workspace.
   */
  readonly shadow: ReadonlyMap<Atom, Finding>;
  /** Per atom: the rules of its action that duplicate or contain it, in list order (never empty). */
  readonly containers: ReadonlyMap<Atom, readonly Finding[]>;
  readonly found: readonly Finding[];
}

/** The last state of each group, by its first atom (which an edit elsewhere in the group keeps). */
const groupStates = new WeakMap<Atom, GroupState>();

/** An edit that replaces more atoms than this in a group has the group analysed afresh. */
const MAX_REPLACED = 8;
/** Likewise when more atoms than this may see a replaced one among their candidates. */
const MAX_AFFECTED = 24;

/** Duplicate, redundant and shadowed rules within each tenant. */
export function checkOverlaps(atoms: readonly Atom[], out: Diagnostic[]): void {
  // Per tenant (or baseline) and direction, in the order the groups first appear.
  const byOwner = new Map<string, { ingress?: Atom[]; egress?: Atom[] }>();
  const groups: Atom[][] = [];
  for (const a of atoms) {
    const owner = a.baseline ? `baseline:${a.baseline}` : a.tenant;
    let both = byOwner.get(owner);
    if (!both) byOwner.set(owner, (both = {}));
    const g = both[a.direction];
    if (g) g.push(a);
    else groups.push((both[a.direction] = [a]));
  }
  // A rule shared through a module is reported once, by the first group that finds it.
  const reported = new Set<string>();
  for (const group of groups)
    for (const f of groupOverlaps(group))
      if (!reported.has(f.id)) {
        reported.add(f.id);
        out.push(f.diagnostic);
      }
}

function groupOverlaps(group: readonly Atom[]): readonly Finding[] {
  const before = groupStates.get(group[0]!);
  const state = (before && updated(before, group)) ?? analysed(group);
  groupStates.set(group[0]!, state);
  return state.found;
}

function shadowOf(b: Atom, candidates: readonly Atom[]): Finding | undefined {
  for (const d of candidates)
    if (atomContains({ ...d, http: undefined }, { ...b, http: undefined }))
      return finding(b, "shadow", diag("shadowedRule", locate(b), { line: d.origin.line, file: d.origin.file }, { related: related(d, "the deny rule") }));
  return undefined;
}

function containersOf(b: Atom, candidates: readonly Atom[]): Finding[] {
  const out: Finding[] = [];
  for (const a of candidates) {
    if (a === b || a.origin === b.origin) continue;
    if (!atomContains(a, b)) continue;
    const mutual = atomContains(b, a);
    if (mutual) {
      // Report the later of two identical rules only.
      if (a.origin.order < b.origin.order) out.push(finding(b, "dup", diag("duplicateRule", locate(b), { line: a.origin.line }, { related: related(a, "the same rule") })));
      continue;
    }
    // Workload rules under a coarse rule are the coarse-to-fine path in progress; the
    // coarse rule gets the one warning (checkCoarseRules), not every fine rule.
    if (coarseCovers(a, b)) continue;
    const l7 = b.http !== undefined && a.http === undefined;
    out.push(finding(b, "redundant", diag("redundantRule", locate(b), { line: a.origin.line, file: a.origin.file, l7 }, { related: related(a, "the broader rule") })));
  }
  return out;
}

function finding(b: Atom, key: string, diagnostic: Diagnostic): Finding {
  return { id: `${b.origin.file}:${b.peerSpan.start}:${key}`, diagnostic };
}

/** The group analysed afresh, with indexes: only rules that could contain b are compared with it. */
function analysed(group: readonly Atom[]): GroupState {
  const allows = group.filter((a) => a.action === "allow");
  const denies = group.filter((a) => a.action === "deny");
  const denyIndex = containerIndex(denies);
  const allowIndex = containerIndex(allows);
  const shadow = new Map<Atom, Finding>();
  const containers = new Map<Atom, readonly Finding[]>();
  for (const b of allows) {
    setShadow(shadow, b, shadowOf(b, denyIndex.candidates(b)));
    setContainers(containers, b, containersOf(b, allowIndex.candidates(b)));
  }
  for (const b of denies) setContainers(containers, b, containersOf(b, denyIndex.candidates(b)));
  return assembled(group, allows, denies, shadow, containers);
}

/**
 * The previous state brought up to date when one stretch of the group changed (an edited rule's
 * atoms replaced, added or dropped) and the rest kept its atoms and their order: only the new
 * atoms, and the atoms that had or have a changed one among their candidates, are analysed again.
 */
function updated(before: GroupState, group: readonly Atom[]): GroupState | undefined {
  const old = before.atoms;
  let p = 0;
  while (p < old.length && p < group.length && old[p] === group[p]) p++;
  let q = 0;
  while (q < old.length - p && q < group.length - p && old[old.length - 1 - q] === group[group.length - 1 - q]) q++;
  const removed = old.slice(p, old.length - q);
  const added = group.slice(p, group.length - q);
  if (removed.length === 0 && added.length === 0) return before;
  if (removed.length > MAX_REPLACED || added.length > MAX_REPLACED) return undefined;
  const changed = [...removed, ...added];
  const allows = group.filter((a) => a.action === "allow");
  const denies = group.filter((a) => a.action === "deny");
  const fresh = new Set(added);
  // New atoms, and atoms that had or have a changed one among their candidates.
  const stale = (list: readonly Atom[], action: Atom["action"]) => list.filter((b) => fresh.has(b) || changed.some((x) => x.action === action && mayContain(x, b)));
  const staleShadow = stale(allows, "deny");
  const staleAllows = stale(allows, "allow");
  const staleDenies = stale(denies, "deny");
  if (staleShadow.length + staleAllows.length + staleDenies.length > MAX_AFFECTED) return undefined;
  const shadow = new Map(before.shadow);
  const containers = new Map(before.containers);
  for (const x of removed) {
    shadow.delete(x);
    containers.delete(x);
  }
  for (const b of staleShadow) setShadow(shadow, b, shadowOf(b, scanCandidates(denies, b)));
  for (const b of staleAllows) setContainers(containers, b, containersOf(b, scanCandidates(allows, b)));
  for (const b of staleDenies) setContainers(containers, b, containersOf(b, scanCandidates(denies, b)));
  return assembled(group, allows, denies, shadow, containers);
}

function setShadow(shadow: Map<Atom, Finding>, b: Atom, f: Finding | undefined): void {
  if (f) shadow.set(b, f);
  else shadow.delete(b);
}

function setContainers(containers: Map<Atom, readonly Finding[]>, b: Atom, found: readonly Finding[]): void {
  if (found.length > 0) containers.set(b, found);
  else containers.delete(b);
}

/** The group's findings, each reported once, in the order the analysis meets them. */
function assembled(
  atoms: readonly Atom[],
  allows: readonly Atom[],
  denies: readonly Atom[],
  shadow: ReadonlyMap<Atom, Finding>,
  containers: ReadonlyMap<Atom, readonly Finding[]>,
): GroupState {
  const found: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding | undefined) => {
    if (!f || seen.has(f.id)) return;
    seen.add(f.id);
    found.push(f);
  };
  for (const b of allows) add(shadow.get(b));
  for (const b of allows) for (const f of containers.get(b) ?? []) add(f);
  for (const b of denies) for (const f of containers.get(b) ?? []) add(f);
  // Most groups find nothing: they share empty ones (updated() copies before changing them).
  if (found.length === 0 && shadow.size === 0 && containers.size === 0) return { atoms, shadow: NO_SHADOW, containers: NO_CONTAINERS, found: NO_FINDINGS };
  return { atoms, shadow, containers, found };
}

const NO_SHADOW: ReadonlyMap<Atom, Finding> = new Map();
const NO_CONTAINERS: ReadonlyMap<Atom, readonly Finding[]> = new Map();
const NO_FINDINGS: readonly Finding[] = [];

/** A namespace-wide rule that the coarse-to-fine path starts with. */
function isCoarse(a: Atom): boolean {
  if (a.subject.kind === "workload" || a.action !== "allow") return false;
  const p = a.peer;
  return (
    p.kind === "within" ||
    (p.kind === "pods" && (p.pods.anyNamespace === true || (!p.pods.workload && Object.keys(p.pods.selector.matchLabels).length === 0))) ||
    (p.kind === "entity" && (p.entity === "cluster" || p.entity === "world" || p.entity === "all")) ||
    a.origin.rule.to?.targets.some((t) => t.kind === "Approved") === true ||
    a.origin.rule.bare?.targets.some((t) => t.kind === "Approved") === true
  );
}

/**
 * The coarse-to-fine path: a namespace-wide rule beside workload rules that already allow part of
 * the same traffic. Says which workload rules so the move to fine-grained rules stays visible.
 */
function coarseCovers(c: Atom, f: Atom): boolean {
  return (
    !c.baseline &&
    !f.baseline &&
    f.subject.kind === "workload" &&
    f.action === "allow" &&
    isCoarse(c) &&
    f.tenant === c.tenant &&
    f.direction === c.direction &&
    (c.subject.kind === "all" || (c.subject.kind === "namespace" && f.subject.workload.namespaces.includes(c.subject.namespace))) &&
    (c.peer.kind === "within" ? f.peer.kind === "pods" && f.peer.pods.tenant === c.tenant : peerContains(c.peer, f.peer)) &&
    portsContain(c, f)
  );
}

export function checkCoarseRules(atoms: readonly Atom[], out: Diagnostic[]): void {
  const coarse = atoms.filter((c) => !c.baseline && isCoarse(c));
  if (coarse.length === 0) return;
  // Per tenant and direction: comparing across tenants would make this quadratic in the cluster.
  // Only for the tenants with coarse rules (an edit's check holds a large tenant and its neighbours).
  const tenants = new Set(coarse.map((c) => c.tenant));
  const fine = new Map<string, Atom[]>();
  for (const a of atoms) {
    if (a.subject.kind !== "workload" || a.action !== "allow" || a.baseline || !tenants.has(a.tenant)) continue;
    const k = `${a.tenant}|${a.direction}`;
    const list = fine.get(k);
    if (list) list.push(a);
    else fine.set(k, [a]);
  }
  const byOrigin = new Map<number, { first: Atom; covered: Atom[] }>();
  for (const c of coarse) {
    const covered = (fine.get(`${c.tenant}|${c.direction}`) ?? []).filter((f) => coarseCovers(c, f));
    if (covered.length === 0) continue;
    const entry = byOrigin.get(c.origin.order) ?? { first: c, covered: [] };
    entry.covered.push(...covered);
    byOrigin.set(c.origin.order, entry);
  }
  for (const { first, covered } of byOrigin.values()) {
    const lines = [...new Set(covered.map((f) => f.origin.line))].sort((x, y) => x - y);
    const workloads = [...new Set(covered.map((f) => (f.subject.kind === "workload" ? f.subject.workload.name : "")))].sort();
    const directions = [...new Set(covered.map((f) => f.direction))].sort().join(" and ");
    out.push(
      diag("coarseRule", locate(first), {
        message: `this namespace-wide rule allows more than the workload rules beside it: ${workloads.join(", ")} already ${workloads.length === 1 ? "has" : "have"} ${directions} rules for part of this traffic (line${lines.length === 1 ? "" : "s"} ${lines.join(", ")})`,
      }, { related: [...covered].sort((x, y) => x.origin.order - y.origin.order).slice(0, 5).map((f) => ({ file: f.origin.file, span: f.origin.span, message: "a workload rule" })) }),
    );
  }
}

/** CIDR allow rules of one subject and direction that together cover an address family. */
export function checkCidrUnions(atoms: readonly Atom[], out: Diagnostic[]): void {
  const groups = new Map<string, Atom[]>();
  for (const a of atoms) {
    if (a.action !== "allow" || a.peer.kind !== "cidr") continue;
    if (a.peer.set.coversFamily(4) || a.peer.set.coversFamily(6)) continue;
    const k = `${a.baseline ?? a.tenant}|${a.direction}|${a.subject.kind === "workload" ? a.subject.workload.name : a.subject.kind}`;
    const g = groups.get(k);
    if (g) g.push(a);
    else groups.set(k, [a]);
  }
  for (const group of groups.values()) {
    // A group of the same atoms as last time finds what it found then (most groups, after an edit).
    const last = cidrGroups.get(group[0]!);
    const found = last && sameItems(last.atoms, group) ? last.found : cidrUnionsOf(group);
    cidrGroups.set(group[0]!, { atoms: group, found });
    for (const d of found) out.push(d);
  }
}

/** The last findings of each group of CIDR rules, by its first atom. */
const cidrGroups = new WeakMap<Atom, { readonly atoms: readonly Atom[]; readonly found: readonly Diagnostic[] }>();

function cidrUnionsOf(group: readonly Atom[]): readonly Diagnostic[] {
  const found: Diagnostic[] = [];
  let set = AddressSet.empty();
  for (const a of group) if (a.peer.kind === "cidr") set = set.union(a.peer.set);
  for (const family of [4, 6] as const) {
    if (!set.coversFamily(family)) continue;
    const members = group.filter((a) => a.peer.kind === "cidr" && a.peer.prefix.family === family);
    const last = members[members.length - 1]!;
    const cidrs = [...new Set(members.map((a) => (a.peer.kind === "cidr" ? formatPrefix(a.peer.prefix) : "")))].join(", ");
    found.push(
      diag("broadCidrUnion", locate(last), { family: family === 4 ? "IPv4" : "IPv6", cidrs }, {
        related: members.slice(0, -1).map((m) => ({ file: m.origin.file, span: m.peerSpan, message: "part of the union" })),
      }),
    );
  }
  // Most groups find nothing: they share one empty list (each group's findings are kept).
  return found.length > 0 ? found : NONE_FOUND;
}
const NONE_FOUND: readonly Diagnostic[] = [];

function portsOverlap(a: Atom, b: Atom): boolean {
  if (!a.ports || !b.ports) return true;
  return a.portSet.intersects(b.portSet) || a.namedPorts.some((n) => b.namedPorts.includes(n));
}

/** The peer matches every pod of `pods` (entities cluster and all match every pod). */
function peerCoversPods(p: Peer, pods: PodSet): boolean {
  if (p.kind === "entity") return p.entity === "all" || p.entity === "cluster";
  return p.kind === "pods" && podsContain(p.pods, pods);
}

function podsLabel(p: PodSet): string {
  if (p.workload) return `tenant ${p.tenant} workload ${p.workload}`;
  const sel = p.selector === EMPTY_SELECTOR ? "" : ` (${selectorText(p.selector)})`;
  return p.tenant ? `tenant ${p.tenant}${sel}` : `namespace ${p.namespaces.join(", ")}${sel}`;
}

/**
 * Every tenant namespace is default-deny in both directions, so traffic between tenants flows only
 * when the client allows the egress and the server admits the ingress. Warn where one side is missing.
 */
export function checkCrossTenant(atoms: readonly Atom[], registry: TenantRegistry, declared: ReadonlySet<string>, out: Diagnostic[]): void {
  // The rules that reach another tenant's pods (with that tenant), and the other side's rules that admitted them last time.
  const crossing: { readonly a: Atom; readonly other: string }[] = [];
  const witnesses = new Set<Atom>();
  for (const a of atoms) {
    if (a.action !== "allow" || a.peer.kind !== "pods") continue;
    const other = a.peer.pods.tenant;
    if (!other || other === a.tenant) continue;
    crossing.push({ a, other });
    const w = crossWitnesses.get(a);
    if (w?.registry === registry) witnesses.add(w.witness);
  }
  if (crossing.length === 0) return;
  // A witness still among the rules still admits its rule: both are the same objects, and whether
  // one admits the other depends on them and the registry alone. The rest are looked for.
  const present = new Set<Atom>();
  if (witnesses.size > 0) for (const b of atoms) if (witnesses.has(b)) present.add(b);
  const admitted = (a: Atom) => {
    const w = crossWitnesses.get(a);
    return w !== undefined && w.registry === registry && present.has(w.witness);
  };
  const searched = new Set(crossing.filter((c) => !admitted(c.a)).map((c) => c.other));
  const byTenant = new Map<string, Atom[]>();
  if (searched.size > 0) for (const b of atoms) if (b.action === "allow" && searched.has(b.tenant)) pushTo(byTenant, b.tenant, b);
  const nsOf = (t: string) => registry.tenants.get(t)?.namespaces ?? [];
  for (const { a, other } of crossing) {
    if (a.peer.kind !== "pods" || admitted(a)) continue;
    const mine = subjectPods(a.subject, nsOf(a.tenant), a.tenant);
    const theirs = a.peer.pods;
    const wanted = a.direction === "egress" ? "ingress" : "egress";
    const witness = (byTenant.get(other) ?? []).find(
      (b) => b.direction === wanted && podsOverlap(subjectPods(b.subject, nsOf(other), other), theirs) && peerCoversPods(b.peer, mine) && portsOverlap(a, b),
    );
    if (witness) {
      crossWitnesses.set(a, { registry, witness });
      continue;
    }
    const ports = a.ports ? ` on ${portsText(a.ports)}` : "";
    const message = !declared.has(other)
      ? `tenant '${other}' has no policy yet, so its namespaces are default-deny and ${a.direction === "egress" ? "this traffic is dropped at their side" : "its pods cannot send this traffic"}`
      : a.direction === "egress"
        ? `tenant '${other}' does not admit this: none of its ingress rules allows ${podsLabel(mine)} to reach ${podsLabel(theirs)}${ports}`
        : `tenant '${other}' does not send this: none of its egress rules allows ${podsLabel(theirs)} to reach ${podsLabel(mine)}${ports}`;
    out.push(diag("crossTenantOneSided", locate(a), { message }, {
      help: `Traffic between tenants needs the client's egress rule and the server's ingress rule; ask tenant ${other} to add theirs (${peerText(a.peer)}).`,
    }));
  }
}

/**
 * Per rule reaching another tenant's pods, the other side's rule that admitted it when last checked
 * (with the registry it was checked against). An edit of a large tenant's file keeps most of its
 * atoms (rule-cache.ts), so its neighbours' rules find their witness instead of scanning the
 * tenant's thousands of rules again.
 */
const crossWitnesses = new WeakMap<Atom, { readonly registry: TenantRegistry; readonly witness: Atom }>();

/**
 * Hosts a tenant allows but its own DNS allow-list to the resolver does not let its pods look up
 * (ztc adds no DNS-proxy rule of its own where the tenant wrote one).
 */
export function checkDnsAllowLists(atoms: readonly Atom[], config: ProjectConfig, out: Diagnostic[]): void {
  const byTenant = new Map<string, Atom[]>();
  for (const a of atoms) {
    if (a.baseline) continue;
    const list = byTenant.get(a.tenant);
    if (list) list.push(a);
    else byTenant.set(a.tenant, [a]);
  }
  for (const list of byTenant.values()) {
    const rules = list.filter((a) => isResolverDnsRule(a, config));
    if (rules.length === 0) continue;
    const reported = new Set<string>();
    for (const f of list) {
      if (f.peer.kind !== "fqdn" || f.action !== "allow") continue;
      const applicable = rules.filter((d) => subjectContains(d.subject, f.subject));
      if (applicable.length === 0) continue;
      const host = f.peer.pattern;
      const admitted = applicable.some((d) => (d.dns ?? []).some((p) => {
        const parsed = parseFqdn(p);
        return parsed.ok && fqdnContains(parsed.pattern, host);
      }));
      const key = `${f.origin.file}:${f.peerSpan.start}:${host.text}`;
      if (admitted || reported.has(key)) continue;
      reported.add(key);
      const d = applicable[0]!;
      out.push(
        diag("hostNotResolvable", locate(f), { host: host.text, line: `${d.origin.file}:${d.origin.line}` }, { related: related(d, "the DNS rule") }),
      );
    }
  }
}
