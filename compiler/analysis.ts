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
import { fqdnContains } from "./net/fqdn.js";
import { containerIndex } from "./overlap-index.js";
import type { TenantRegistry } from "./registry.js";
import { peerText, portsText } from "./resolve.js";

/** The pods a subject selects, as a PodSet. */
export function subjectPods(s: Subject, tenantNamespaces: readonly string[], tenant: string): PodSet {
  if (s.kind === "workload") return { namespaces: s.workload.namespaces, selector: s.workload.selector, tenant, workload: s.workload.name };
  if (s.kind === "namespace") return { namespaces: [s.namespace], selector: EMPTY_SELECTOR, tenant };
  return { namespaces: [...tenantNamespaces], selector: EMPTY_SELECTOR, tenant };
}

export function podsContain(a: PodSet, b: PodSet): boolean {
  return b.namespaces.every((n) => a.namespaces.includes(n)) && selectorContains(a.selector, b.selector);
}

export function podsOverlap(a: PodSet, b: PodSet): boolean {
  return a.namespaces.some((n) => b.namespaces.includes(n)) && selectorsOverlap(a.selector, b.selector);
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
  }
}

function portsContain(a: Atom, b: Atom): boolean {
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
  return [{ file: a.origin.file, span: a.origin.rule.span, message }];
}

/** Duplicate, redundant and shadowed rules within each tenant. */
export function checkOverlaps(atoms: readonly Atom[], out: Diagnostic[]): void {
  const groups = new Map<string, Atom[]>();
  for (const a of atoms) {
    const k = `${a.tenant}|${a.direction}`;
    const g = groups.get(k);
    if (g) g.push(a);
    else groups.set(k, [a]);
  }
  const reported = new Set<string>();
  const once = (a: Atom, key: string, d: Diagnostic) => {
    const id = `${a.origin.file}:${a.peerSpan.start}:${key}`;
    if (reported.has(id)) return;
    reported.add(id);
    out.push(d);
  };
  for (const group of groups.values()) {
    const allows = group.filter((a) => a.action === "allow");
    const denies = group.filter((a) => a.action === "deny");
    // Indexed: only rules that could contain b are compared with it (overlap-index.ts), in order.
    const denyIndex = containerIndex(denies);
    for (const b of allows) {
      for (const d of denyIndex.candidates(b)) {
        if (atomContains({ ...d, http: undefined }, { ...b, http: undefined })) {
          once(b, "shadow", diag("shadowedRule", locate(b), { line: d.origin.line, file: d.origin.file }, { related: related(d, "the deny rule") }));
          break;
        }
      }
    }
    for (const list of [allows, denies]) {
      const index = containerIndex(list);
      for (const b of list) {
        for (const a of index.candidates(b)) {
          if (a === b || a.origin === b.origin) continue;
          if (!atomContains(a, b)) continue;
          const mutual = atomContains(b, a);
          if (mutual) {
            // Report the later of two identical rules only.
            if (a.origin.order < b.origin.order)
              once(b, "dup", diag("duplicateRule", locate(b), { line: a.origin.line }, { related: related(a, "the same rule") }));
            continue;
          }
          const l7 = b.http !== undefined && a.http === undefined;
          once(b, "redundant", diag("redundantRule", locate(b), { line: a.origin.line, file: a.origin.file, l7 }, { related: related(a, "the broader rule") }));
        }
      }
    }
  }
}

/** CIDR allow rules of one subject and direction that together cover an address family. */
export function checkCidrUnions(atoms: readonly Atom[], out: Diagnostic[]): void {
  const groups = new Map<string, Atom[]>();
  for (const a of atoms) {
    if (a.action !== "allow" || a.peer.kind !== "cidr") continue;
    if (a.peer.set.coversFamily(4) || a.peer.set.coversFamily(6)) continue;
    const k = `${a.tenant}|${a.direction}|${a.subject.kind === "workload" ? a.subject.workload.name : a.subject.kind}`;
    const g = groups.get(k);
    if (g) g.push(a);
    else groups.set(k, [a]);
  }
  for (const group of groups.values()) {
    let set = AddressSet.empty();
    for (const a of group) if (a.peer.kind === "cidr") set = set.union(a.peer.set);
    for (const family of [4, 6] as const) {
      if (!set.coversFamily(family)) continue;
      const members = group.filter((a) => a.peer.kind === "cidr" && a.peer.prefix.family === family);
      const last = members[members.length - 1]!;
      const cidrs = [...new Set(members.map((a) => (a.peer.kind === "cidr" ? formatPrefix(a.peer.prefix) : "")))].join(", ");
      out.push(
        diag("broadCidrUnion", locate(last), { family: family === 4 ? "IPv4" : "IPv6", cidrs }, {
          related: members.slice(0, -1).map((m) => ({ file: m.origin.file, span: m.peerSpan, message: "part of the union" })),
        }),
      );
    }
  }
}

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
  const byTenant = new Map<string, Atom[]>();
  for (const a of atoms) {
    if (a.action !== "allow") continue;
    const list = byTenant.get(a.tenant);
    if (list) list.push(a);
    else byTenant.set(a.tenant, [a]);
  }
  const nsOf = (t: string) => registry.tenants.get(t)?.namespaces ?? [];
  for (const a of atoms) {
    if (a.action !== "allow" || a.peer.kind !== "pods") continue;
    const other = a.peer.pods.tenant;
    if (!other || other === a.tenant) continue;
    const mine = subjectPods(a.subject, nsOf(a.tenant), a.tenant);
    const theirs = a.peer.pods;
    const wanted = a.direction === "egress" ? "ingress" : "egress";
    const matched = (byTenant.get(other) ?? []).some(
      (b) =>
        b.direction === wanted &&
        podsOverlap(subjectPods(b.subject, nsOf(other), other), theirs) &&
        peerCoversPods(b.peer, mine) &&
        portsOverlap(a, b),
    );
    if (matched) continue;
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
